"""What a meter counted for a customer over a time range: its event summaries
(`GET /v1/billing/meters/{id}/event_summaries?customer=&start_time=&end_time=[&value_grouping_window=hour|day]`,
times aligned to the minute, or to the window, as Stripe requires) and the usage a renewal bills."""

from __future__ import annotations

from typing import Any

from ..clock import DAY
from ..errors import invalid_request
from ..lists import list_of
from ..params import as_int, one_of, require
from ..protocol import Fake
from ..routing import Request
from ..store import StripeObject
from ..usage import aggregate
from .meter_events import process_pending
from .meters import meters

WINDOWS = {"hour": 3600, "day": DAY}


def usage_of(fake: Fake, meter: StripeObject, customer: str, start: int, end: int) -> float:
    """What `meter` counted for `customer` in `[start, end)`, under its aggregation formula."""
    process_pending(fake)
    events = fake.usage.events(meter["id"], customer, start, end)
    return aggregate(events, meter["default_aggregation"]["formula"])


@meters.get("/{id}/event_summaries")
def event_summaries(request: Request) -> dict[str, Any]:
    fake, params = request.fake, request.params
    meter = meters.retrieve(request)
    customer = require(params, "customer")
    fake.store.require(customer, "customer", "customer")
    start, end = as_int(params, "start_time", required=True), as_int(params, "end_time", required=True)
    window = one_of(params, "value_grouping_window", tuple(WINDOWS))
    step = WINDOWS[window] if window else 60
    for name, moment in (("start_time", start), ("end_time", end)):
        if moment % step:
            raise invalid_request(f"{name} must be aligned with {window or 'minute'} boundaries.", name)
    if end <= start:
        raise invalid_request("end_time must be after start_time.", "end_time")
    bounds = [(at, min(at + step, end)) for at in range(start, end, step)] if window else [(start, end)]
    summaries = [
        {
            "id": f"mtrusg_{meter['id']}_{customer}_{low}_{high}",
            "object": "billing.meter_event_summary",
            "aggregated_value": usage_of(fake, meter, customer, low, high),
            "end_time": high,
            "livemode": False,
            "meter": meter["id"],
            "start_time": low,
        }
        for low, high in bounds
    ]
    return list_of(request, summaries, f"/v1/billing/meters/{meter['id']}/event_summaries", "meter event summary")
