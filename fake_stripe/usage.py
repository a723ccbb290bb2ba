"""The fake's usage ledger: the meter events it counted (each identifier once), the v2 stream's events accepted
and not counted yet (Stripe validates and counts them asynchronously), the v2 meter event sessions, and the
error reports of the events it could not count. `FakeStripe.usage` holds one; `reset()` makes a new one."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CountedEvent:
    """One meter event a meter counted."""

    identifier: str
    meter: str
    customer: str
    value: float
    timestamp: int


@dataclass
class PendingEvent:
    """A v2 stream event accepted and waiting to be validated and counted, with the request that sent it."""

    event: dict[str, Any]
    request_id: str


@dataclass
class Usage:
    counted: dict[str, CountedEvent] = field(default_factory=dict)
    """Every counted event by identifier: a second event with the same identifier is never counted."""
    by_meter_and_customer: dict[tuple[str, str], list[tuple[int, int, CountedEvent]]] = field(default_factory=dict)
    """Per meter and customer, `(timestamp, arrival, event)` in time order: a range is two bisections."""
    pending: list[PendingEvent] = field(default_factory=list)
    sessions: dict[str, int] = field(default_factory=dict)
    """v2 meter event session tokens and when each expires (epoch seconds on the fake's clock)."""
    error_reports: list[dict[str, Any]] = field(default_factory=list)
    """The error reports so far, oldest first (`billing.meter_error_report` objects, see `meter_events`)."""

    def count(self, event: CountedEvent) -> bool:
        """Count `event`, unless its identifier was counted before (then False: Stripe deduplicates)."""
        if event.identifier in self.counted:
            return False
        self.counted[event.identifier] = event
        insort(
            self.by_meter_and_customer.setdefault((event.meter, event.customer), []), _entry(event, len(self.counted))
        )
        return True

    def events(self, meter: str, customer: str, start: int, end: int) -> list[CountedEvent]:
        """The counted events of `customer` on `meter` whose timestamp is in `[start, end)`, oldest first."""
        found = self.by_meter_and_customer.get((meter, customer), [])
        low, high = bisect_left(found, (start,)), bisect_left(found, (end,))
        return [entry[2] for entry in found[low:high]]


def _entry(event: CountedEvent, arrival: int) -> tuple[int, int, CountedEvent]:
    # Ties of timestamp keep the order of arrival (the `last` formula's), and never compare the events.
    return event.timestamp, arrival, event


def aggregate(events: list[CountedEvent], formula: str) -> float:
    """What `events` (oldest first) add up to under a meter's `default_aggregation.formula`."""
    if formula == "count":
        return float(len(events))
    if formula == "last":
        return events[-1].value if events else 0.0
    return float(sum(event.value for event in events))
