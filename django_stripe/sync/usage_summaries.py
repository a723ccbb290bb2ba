"""Stripe's meter event summaries -> `MeterUsageSummary` rows: what each meter counted for one customer over
the current billing period of the subscription item that bills it.

Stripe sends no event when usage is counted, so the rows are refreshed by reading: after each send of the
usage outbox (`refresh_usage`, called by the sending task), or whenever a caller wants Stripe's count now.
A summary is asked for the item's period widened to whole minutes (Stripe takes only minute boundaries).
Each row keeps `refreshed_at`, this server's time just before the read: usage the outbox sent after it may
not be in the count yet, and the read side (payments.usage) adds it. Two refreshes racing cannot move a row
backwards: the one that read later wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from ..models import BillingMeter, MeterUsageSummary, SubscriptionItem
from ..models.billing import ENDED_STATUSES
from .backoff import DEFAULT_BACKOFF, Backoff
from .paging import fetch_all

MINUTE = 60
AFTER_SEND_BACKOFF = Backoff(attempts=3, base=0.2, cap=1.0)
"""The refresh after a send gives up soon (the worker has more to send): until a later one succeeds, reads
count the rows it sent as unsent, which is exact all the same."""


@dataclass(frozen=True)
class MeteredItem:
    """A subscription item billed by a meter, with the window of its current period asked of Stripe."""

    item: SubscriptionItem
    meter: BillingMeter
    start_time: datetime
    end_time: datetime


def metered_items(customer_id: str, event_names: Iterable[str] | None = None) -> list[MeteredItem]:
    """The customer's live subscription items whose price is metered, with their meter (one query), limited
    to meters of `event_names` when given; one per meter, the latest period when several items share one."""
    items = (
        SubscriptionItem.objects.live()
        .filter(subscription__customer_id=customer_id, subscription__deleted=False, price__meter__isnull=False)
        .exclude(subscription__status__in=ENDED_STATUSES)
        .exclude(current_period_start=None)
        .exclude(current_period_end=None)
        .select_related("price__meter")
        .order_by("current_period_start")
    )
    if event_names is not None:
        items = items.filter(price__meter__event_name__in=list(event_names))
    found: dict[str, MeteredItem] = {}
    for item in items:
        meter = item.price.meter
        found[meter.id] = MeteredItem(item, meter, *minute_window(item.current_period_start, item.current_period_end))
    return list(found.values())


def minute_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """`[start, end)` widened to minute boundaries, as Stripe's summaries require."""
    low = int(start.timestamp()) // MINUTE * MINUTE
    high = -(-int(end.timestamp()) // MINUTE) * MINUTE
    return datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(max(high, low + MINUTE), UTC)


def refresh_usage(
    customer_id: str, event_names: Iterable[str] | None = None, backoff: Backoff = DEFAULT_BACKOFF
) -> list[MeterUsageSummary]:
    """Read from Stripe what each metered item of the customer counted this period (only the meters of
    `event_names`, when given: the events just sent), and mirror it; the rows written, one per meter. 429s and
    5xx are retried under `backoff`."""
    return [refresh_item(customer_id, metered, backoff) for metered in metered_items(customer_id, event_names)]


def refresh_item(customer_id: str, metered: MeteredItem, backoff: Backoff = DEFAULT_BACKOFF) -> MeterUsageSummary:
    """Mirror one meter's summary for the customer over the item's period (one request to Stripe)."""
    refreshed_at = timezone.now()
    value = read_summary(metered.meter.id, customer_id, metered.start_time, metered.end_time, backoff)
    return write_summary(customer_id, metered, value, refreshed_at)


def read_summary(
    meter_id: str, customer_id: str, start_time: datetime, end_time: datetime, backoff: Backoff = DEFAULT_BACKOFF
) -> float:
    """Stripe's aggregated value of a meter for a customer over `[start_time, end_time)`."""
    params = {"customer": customer_id, "start_time": int(start_time.timestamp()), "end_time": int(end_time.timestamp())}
    summaries, _ = fetch_all(f"/v1/billing/meters/{meter_id}/event_summaries", params, backoff)
    return float(sum(summary.get("aggregated_value") or 0 for summary in summaries))


def write_summary(customer_id: str, metered: MeteredItem, value: float, refreshed_at: datetime) -> MeterUsageSummary:
    """Insert or update the row of (customer, meter, period), unless a read made later already wrote it."""
    key = {"customer_id": customer_id, "meter_id": metered.meter.id, "start_time": metered.start_time}
    columns = {"end_time": metered.end_time, "aggregated_value": value, "refreshed_at": refreshed_at}
    with transaction.atomic():
        MeterUsageSummary.objects.bulk_create([MeterUsageSummary(**key, **columns)], ignore_conflicts=True)
        MeterUsageSummary.objects.filter(**key, refreshed_at__lt=refreshed_at).update(**columns)
    return MeterUsageSummary.objects.get(**key)
