"""Usage read back: what a billable used of a meter this billing period, from the mirror alone.

Stripe's count (the mirrored meter event summary, sync/usage_summaries.py) plus what the outbox holds that
Stripe has not counted yet (rows still pending, and rows sent since the summary was read), so that a read
right after `report_usage` is exact. Refused rows never count: Stripe will not bill them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.db.models import Count, Q, QuerySet, Sum

from ..billables import customer_id_of
from ..models import BillingMeter, MeterUsageSummary, Price, UsageReport
from ..sync import usage_summaries
from ..sync.usage_summaries import MeteredItem, metered_items

logger = logging.getLogger(__name__)

CURRENT = "current"


@dataclass(frozen=True)
class Usage:
    """A billable's usage of one meter over a billing period.

    `value` is what the period's invoice will bill (under the meter's formula): `counted` (what Stripe had
    counted when last read) with `unsent` (the outbox's rows Stripe has not counted yet). `price` is the
    metered price that bills it; `period_start`/`period_end` the subscription item's period. Without a
    subscription to a price of the meter, there is no period: the price and period are None and `value`
    is the outbox's unsent rows alone."""

    meter: BillingMeter
    value: float
    counted: float
    unsent: float
    price: Price | None
    period_start: datetime | None
    period_end: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The REST answer's fields (epoch seconds), the price as its id."""
        return {
            "meter": self.meter.id,
            "event_name": self.meter.event_name,
            "display_name": self.meter.display_name,
            "formula": self.meter.formula,
            "value": self.value,
            "counted": self.counted,
            "unsent": self.unsent,
            "period_start": _epoch(self.period_start),
            "period_end": _epoch(self.period_end),
        }


def usage(billable: Any, meter: BillingMeter | str, period: str = CURRENT) -> Usage:
    """What `billable` used of `meter` (a BillingMeter, its id or its event name) this billing period.

    Reads the mirror (three or four queries); asks Stripe nothing. Raises ValueError for another `period` than
    "current" and BillingMeter.DoesNotExist for a meter the mirror does not hold."""
    if period != CURRENT:
        raise ValueError(f'period must be "{CURRENT}", not {period!r}')
    meter = meter if isinstance(meter, BillingMeter) else find_meter(meter)
    customer_id = customer_id_of(billable)
    if customer_id is None:
        return Usage(meter, 0.0, 0.0, 0.0, None, None, None)
    metered = next((found for found in metered_items(customer_id) if found.meter.id == meter.id), None)
    return usage_of_item(customer_id, meter, metered)


def usage_this_period(billable: Any) -> list[Usage]:
    """The billable's usage of each meter that one of its live subscriptions bills, this period."""
    customer_id = customer_id_of(billable)
    if customer_id is None:
        return []
    return [usage_of_item(customer_id, metered.meter, metered) for metered in metered_items(customer_id)]


def refresh_usage(customer_id: str, event_names: list[str] | None = None) -> None:
    """Read Stripe's count of each metered item of `customer_id` (the meters of `event_names` only, when
    given) into the mirror, now. Each send of the outbox already does so (the `usage_reports_sent` receiver)."""
    usage_summaries.refresh_usage(customer_id, event_names)


def refresh_after_send(sender: Any, reports: list[UsageReport], **kwargs: Any) -> None:
    """The `usage_reports_sent` receiver: refresh the summaries of the meters just sent to, per customer. A
    refresh Stripe fails is only logged: until one succeeds, reads count those rows as unsent."""
    event_names: dict[str, set[str]] = {}
    for report in reports:
        event_names.setdefault(report.customer_id, set()).add(report.event_name)
    for customer_id, names in event_names.items():
        try:
            usage_summaries.refresh_usage(customer_id, names, usage_summaries.AFTER_SEND_BACKOFF)
        except stripe.StripeError as error:
            logger.warning("usage summaries of %s not refreshed: %s", customer_id, error)


def find_meter(meter: str) -> BillingMeter:
    """The mirrored meter of this id, else the active one of this event name."""
    meters = BillingMeter.objects.live()
    found = meters.filter(pk=meter).first() or meters.filter(event_name=meter, status="active").first()
    if found is None:
        raise BillingMeter.DoesNotExist(f"no mirrored billing meter {meter!r}")
    return found


def usage_of_item(customer_id: str, meter: BillingMeter, metered: MeteredItem | None) -> Usage:
    """The usage of `meter` over the period of `metered` (None: no subscription bills it, no period)."""
    if metered is None:
        unsent, _ = unsent_usage(UsageReport.objects.filter(state=UsageReport.State.PENDING), customer_id, meter)
        return Usage(meter, unsent, 0.0, unsent, None, None, None)
    key = {"customer_id": customer_id, "meter": meter, "start_time": metered.start_time}
    summary = MeterUsageSummary.objects.filter(**key).first()
    counted = summary.aggregated_value if summary is not None else 0.0
    rows = not_counted(summary).filter(timestamp__gte=metered.start_time, timestamp__lt=metered.end_time)
    unsent, count = unsent_usage(rows, customer_id, meter)
    # Under `last` the latest value is the period's, and an unsent row is later than anything counted.
    value = (unsent if count else counted) if meter.formula == "last" else counted + unsent
    item = metered.item
    return Usage(meter, value, counted, unsent, item.price, item.current_period_start, item.current_period_end)


def not_counted(summary: MeterUsageSummary | None) -> QuerySet:
    """The outbox's rows Stripe has not counted, as far as `summary` knows: pending ones, and those sent
    since it was read (every sent one, without a summary). Refused rows never count."""
    sent = Q(state=UsageReport.State.SENT)
    if summary is not None:
        sent &= Q(sent_at__gte=summary.refreshed_at)
    return UsageReport.objects.filter(Q(state=UsageReport.State.PENDING) | sent)


def unsent_usage(rows: QuerySet, customer_id: str, meter: BillingMeter) -> tuple[float, int]:
    """What `rows` of this customer and meter add under the meter's formula (`last`: the latest row's value),
    and how many they are."""
    rows = rows.filter(customer_id=customer_id, event_name=meter.event_name)
    totals = rows.aggregate(total=Sum("value"), count=Count("id"))
    count = totals["count"]
    if meter.formula == "last":
        latest = rows.order_by("-timestamp", "-id").values_list("value", flat=True).first() if count else 0
        return float(latest or 0), count
    return float(count if meter.formula == "count" else totals["total"] or 0), count


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None
