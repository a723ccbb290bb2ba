"""What a Stripe payload says, read as the sync maps it, for the layers above that shape answers (the REST API):
where a subscription's period and first item live and what an invoice's subscription is, in every API version
the mirror speaks. The REST layer reads payloads through this module, never through `sync.mappers` itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import scheduled_changes
from ..sync import mappers

Payload = dict[str, Any]


def payload_of(instance: Any) -> Payload:
    """A mirror row's `stripe_data`, an object Stripe just returned or a payload dict, as a payload."""
    return instance.stripe_data if hasattr(instance, "stripe_data") else mappers.as_payload(instance)


def subscription_fields(payload: Payload) -> Payload:
    """What a subscription answers beyond its own payload's fields: product, price and quantity of its first
    item, its period (epoch seconds) and references, read as the sync maps them."""
    columns = mappers.map_subscription(payload)
    items = mappers.subscription_items(payload)
    item = mappers.map_subscription_item(items[0], payload) if items else {}
    return {
        "product": item.get("product_id"),
        "price": item.get("price_id"),
        "quantity": item.get("quantity"),
        "current_period_start": _epoch(columns["current_period_start"]),
        "current_period_end": _epoch(columns["current_period_end"]),
        "default_payment_method": columns["default_payment_method_id"],
        "latest_invoice": columns["latest_invoice_id"],
        "paused": bool(payload.get("pause_collection")),
        "scheduled_change": scheduled_change_of(payload),
    }


def scheduled_change_of(payload: Payload) -> Payload | None:
    """The change a subscription's schedule will make (`{price, quantity, at}`, `at` in epoch seconds), read
    from the mirror (`Subscription.scheduled_change`); None, and no query, for a subscription without a
    schedule: nearly every one."""
    if not payload.get("schedule") or not payload.get("id"):
        return None
    change = scheduled_changes([payload["id"]]).get(payload["id"])
    if not change:
        return None
    return {"price": change["price"], "quantity": change["quantity"], "at": _epoch(change["at"])}


def invoice_subscription(payload: Payload) -> str | None:
    """The id of the subscription an invoice is for: under `parent.subscription_details` in newer API
    versions, at the top in older ones."""
    return mappers.invoice_subscription_id(payload)


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None
