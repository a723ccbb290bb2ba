"""Billing meters (`/v1/billing/meters`): what usage is measured (`event_name`), how a period's events add up
(`default_aggregation.formula`: sum, count or last) and which payload keys name the customer and the value;
create, retrieve, list, update, deactivate and reactivate, with their `billing.meter.*` events. The usage they
count is `meter_events`; what a period of it adds up to is `meter_usage`."""

from __future__ import annotations

from ..errors import invalid_request
from ..params import as_dict, one_of, require
from ..resource import Resource, equal
from ..routing import Request
from ..store import Store, StripeObject

FORMULAS = ("sum", "count", "last")
STATUSES = ("active", "inactive")

meters = Resource(
    "billing.meter",
    "/v1/billing/meters",
    noun="billing meter",
    filters=(equal("status", lambda params, name: one_of(params, name, STATUSES)),),
)


@meters.post()
def create_meter(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    event_name = require(params, "event_name")
    if meter_for_event(fake.store, event_name) is not None:
        raise invalid_request(f"An active meter with event_name '{event_name}' already exists.", "event_name")
    aggregation = as_dict(params, "default_aggregation")
    mapping, value_settings = as_dict(params, "customer_mapping"), as_dict(params, "value_settings")
    now = fake.now()
    meter = {
        "id": fake.store.new_id("mtr_test_", 24),
        "object": "billing.meter",
        "created": now,
        "customer_mapping": {
            "event_payload_key": mapping.get("event_payload_key") or "stripe_customer_id",
            "type": one_of(mapping, "type", ("by_id",), "by_id"),
        },
        "default_aggregation": {"formula": one_of(aggregation, "formula", FORMULAS) or require(aggregation, "formula")},
        "display_name": require(params, "display_name"),
        "event_name": event_name,
        "event_time_window": one_of(params, "event_time_window", ("day", "hour")),
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": now,
        "value_settings": {"event_payload_key": value_settings.get("event_payload_key") or "value"},
    }
    fake.store.add(meter)
    meters.emit(fake, "created", meter)
    return meter


@meters.post("/{id}")
def update_meter(request: Request) -> StripeObject:
    meter = meters.retrieve(request)
    with meters.changing(request.fake, meter):  # Stripe lets only the display name change
        if request.params.get("display_name"):
            meter["display_name"] = request.params["display_name"]
            meter["updated"] = request.fake.now()
    return meter


@meters.post("/{id}/deactivate")
def deactivate_meter(request: Request) -> StripeObject:
    """No new events are counted on an inactive meter (they are refused); what it counted stays billed."""
    fake, meter = request.fake, meters.retrieve(request)
    if meter["status"] == "active":
        meter.update(status="inactive", updated=fake.now())
        meter["status_transitions"]["deactivated_at"] = fake.now()
        meters.emit(fake, "deactivated", meter)
    return meter


@meters.post("/{id}/reactivate")
def reactivate_meter(request: Request) -> StripeObject:
    fake, meter = request.fake, meters.retrieve(request)
    if meter["status"] == "inactive":
        other = meter_for_event(fake.store, meter["event_name"])
        if other is not None:
            raise invalid_request(f"An active meter with event_name '{meter['event_name']}' already exists.")
        meter.update(status="active", updated=fake.now())
        meters.emit(fake, "reactivated", meter)
    return meter


def meter_for_event(store: Store, event_name: str) -> StripeObject | None:
    """The active meter counting `event_name` (at most one: Stripe keeps event names unique among them)."""
    found = (m for m in store.newest_first("billing.meter") if m["event_name"] == event_name)
    return next((meter for meter in found if meter["status"] == "active"), None)


def meter_named(store: Store, event_name: str) -> StripeObject | None:
    """The newest meter of `event_name`, active or not (which one refused an event, for its error report)."""
    return next((m for m in store.newest_first("billing.meter") if m["event_name"] == event_name), None)
