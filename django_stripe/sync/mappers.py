"""Stripe payload -> column values, one pure function per object type.

Each mapper takes the object as Stripe sends it (a webhook's `data.object`, an API response as a dict)
and returns the keyword arguments of its model row, without `id` and `synced_at`. The current API shape
is primary; older shapes that a webhook endpoint pinned to an older version still sends are mapped too:
top-level `current_period_*` on subscriptions, `plan` on subscription items, `invoice.subscription`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]


def as_payload(obj: Any) -> Payload:
    """A Stripe object as the plain JSON dict Stripe sent (the SDK turns decimals into Decimal)."""
    return obj.to_dict(for_json=True) if hasattr(obj, "to_dict") else obj


def ref_id(value: Any) -> str | None:
    """The id behind a reference that may be a plain id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


def common_columns(payload: Payload) -> dict[str, Any]:
    return {
        "livemode": bool(payload.get("livemode", False)),
        "created": timestamp(payload.get("created")),
        "metadata": payload.get("metadata") or {},
        "stripe_data": payload,
        "deleted": bool(payload.get("deleted", False)),
    }


def map_product(payload: Payload) -> dict[str, Any]:
    return {
        **common_columns(payload),
        "active": bool(payload.get("active", True)),
        "name": payload.get("name") or "",
        "default_price_id": ref_id(payload.get("default_price")),
    }


def map_price(payload: Payload) -> dict[str, Any]:
    recurring = payload.get("recurring") or {}
    return {
        **common_columns(payload),
        "product_id": ref_id(payload.get("product")),
        "active": bool(payload.get("active", True)),
        "currency": payload.get("currency") or "",
        "unit_amount": payload.get("unit_amount"),
        "type": payload.get("type") or "",
        "recurring_interval": recurring.get("interval") or "",
        "recurring_interval_count": recurring.get("interval_count"),
        "lookup_key": payload.get("lookup_key"),
        "nickname": payload.get("nickname"),
        "usage_type": recurring.get("usage_type") or "",
        "meter_id": recurring.get("meter") or None,
    }


def map_billing_meter(payload: Payload) -> dict[str, Any]:
    return {
        **common_columns(payload),
        "event_name": payload.get("event_name") or "",
        "display_name": payload.get("display_name") or "",
        "status": payload.get("status") or "",
        "formula": (payload.get("default_aggregation") or {}).get("formula") or "",
        "customer_mapping_key": (payload.get("customer_mapping") or {}).get("event_payload_key") or "",
        "value_key": (payload.get("value_settings") or {}).get("event_payload_key") or "",
    }


def map_customer(payload: Payload) -> dict[str, Any]:
    invoice_settings = payload.get("invoice_settings") or {}
    return {
        **common_columns(payload),
        "email": payload.get("email"),
        "name": payload.get("name"),
        "default_payment_method_id": ref_id(invoice_settings.get("default_payment_method")),
    }


def map_payment_method(payload: Payload) -> dict[str, Any]:
    card = payload.get("card") or {}
    return {
        **common_columns(payload),
        "customer_id": ref_id(payload.get("customer")),
        "type": payload.get("type") or "",
        "card_brand": card.get("brand") or "",
        "card_last4": card.get("last4") or "",
    }


def map_subscription_item(payload: Payload, subscription: Payload | None = None) -> dict[str, Any]:
    """An item; `subscription` supplies the period for older API versions that keep it on the parent."""
    price = payload.get("price") or payload.get("plan") or {}
    parent = subscription or {}
    return {
        **common_columns(payload),
        "subscription_id": ref_id(payload.get("subscription")) or parent.get("id"),
        "price_id": ref_id(price),
        "product_id": ref_id(price.get("product")) if isinstance(price, dict) else None,
        "quantity": payload.get("quantity"),
        "current_period_start": timestamp(payload.get("current_period_start", parent.get("current_period_start"))),
        "current_period_end": timestamp(payload.get("current_period_end", parent.get("current_period_end"))),
    }


def subscription_items(payload: Payload) -> list[Payload]:
    return (payload.get("items") or {}).get("data") or []


def map_subscription(payload: Payload) -> dict[str, Any]:
    items = [map_subscription_item(item, payload) for item in subscription_items(payload)]
    starts = [item["current_period_start"] for item in items if item["current_period_start"]]
    ends = [item["current_period_end"] for item in items if item["current_period_end"]]
    return {
        **common_columns(payload),
        "customer_id": ref_id(payload.get("customer")),
        "status": payload.get("status") or "",
        "cancel_at_period_end": bool(payload.get("cancel_at_period_end", False)),
        "cancel_at": timestamp(payload.get("cancel_at")),
        "canceled_at": timestamp(payload.get("canceled_at")),
        "ended_at": timestamp(payload.get("ended_at")),
        "start_date": timestamp(payload.get("start_date")),
        "trial_start": timestamp(payload.get("trial_start")),
        "trial_end": timestamp(payload.get("trial_end")),
        "current_period_start": min(starts) if starts else timestamp(payload.get("current_period_start")),
        "current_period_end": max(ends) if ends else timestamp(payload.get("current_period_end")),
        "default_payment_method_id": ref_id(payload.get("default_payment_method")),
        "latest_invoice_id": ref_id(payload.get("latest_invoice")),
        "schedule_id": ref_id(payload.get("schedule")),
        "pause_collection_behavior": (payload.get("pause_collection") or {}).get("behavior"),
    }


def map_subscription_schedule(payload: Payload) -> dict[str, Any]:
    """A schedule; a released one keeps the subscription it governed (Stripe moves it to `released_subscription`)."""
    current = payload.get("current_phase") or {}
    return {
        **common_columns(payload),
        "customer_id": ref_id(payload.get("customer")),
        "subscription_id": ref_id(payload.get("subscription")) or ref_id(payload.get("released_subscription")),
        "status": payload.get("status") or "",
        "end_behavior": payload.get("end_behavior") or "",
        "current_phase_start": timestamp(current.get("start_date")),
        "current_phase_end": timestamp(current.get("end_date")),
    }


def map_schedule_phases(payload: Payload) -> list[dict[str, Any]]:
    """A schedule's phases as rows (`position`, dates, items as `{"price", "quantity"}`), in Stripe's order."""
    return [
        {
            "position": position,
            "start_date": timestamp(phase.get("start_date")),
            "end_date": timestamp(phase.get("end_date")),
            "items": [
                {"price": ref_id(item.get("price") or item.get("plan")), "quantity": item.get("quantity")}
                for item in phase.get("items") or []
            ],
        }
        for position, phase in enumerate(payload.get("phases") or [])
        if phase.get("start_date") is not None
    ]


def invoice_subscription_id(payload: Payload) -> str | None:
    details = ((payload.get("parent") or {}).get("subscription_details")) or {}
    return ref_id(details.get("subscription")) or ref_id(payload.get("subscription"))


def map_invoice(payload: Payload) -> dict[str, Any]:
    return {
        **common_columns(payload),
        "customer_id": ref_id(payload.get("customer")),
        "subscription_id": invoice_subscription_id(payload),
        "status": payload.get("status"),
        "number": payload.get("number"),
        "currency": payload.get("currency") or "",
        "amount_due": payload.get("amount_due"),
        "amount_paid": payload.get("amount_paid"),
        "billing_reason": payload.get("billing_reason"),
    }


def map_active_entitlement(payload: Payload, customer_id: str) -> dict[str, Any]:
    """An active entitlement; Stripe sends them inside a summary that names the customer."""
    return {
        **common_columns(payload),
        "customer_id": customer_id,
        "feature": ref_id(payload.get("feature")) or "",
        "lookup_key": payload.get("lookup_key") or "",
    }
