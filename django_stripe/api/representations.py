"""The JSON of the read lists, built by plain functions from Stripe payloads.

Each function answers exactly what its serializer in serializers.py answers for the same payload, field for
field and value for value (the same conversions: `str` for a CharField, `int` for an IntegerField, DRF's
boolean rule; a missing nullable field is null, a missing required one raises):
tests/api/test_representations.py holds them side by side. The serializers stay the OpenAPI schema and
answer the writes and single objects. Why: profiled under gunicorn, DRF's serializers took about 90 µs per
price of a list (field objects, `get_attribute`, one `to_representation` call per field), more than half of
the products list; these functions take a few µs.

Where a subscription's period and first item live and what an invoice's subscription is (in every API
version) is read through `payments.payloads`, which the serializers use too, so both answer from the same
reading.
"""

from __future__ import annotations

from typing import Any

from rest_framework.fields import BooleanField

from ..payments.payloads import invoice_subscription, subscription_fields

Payload = dict[str, Any]


def product(data: Payload) -> Payload:
    """ProductSerializer: `data` is a product of `payments.get_products` (prices and subscription_info in it)."""
    return {
        "id": _str(data["id"]),
        "name": _str(data["name"]),
        "description": _str(data.get("description")),
        "images": _strings(data["images"]),
        "metadata": _string_dict(data["metadata"]),
        "shippable": _bool(data.get("shippable"), nullable=True),
        "type": _str(data.get("type")),
        "unit_label": _str(data.get("unit_label")),
        "url": _str(data.get("url")),
        "prices": _each(price, data["prices"]),
        "subscription_info": _subscription_info(data["subscription_info"]),
    }


def price(data: Payload) -> Payload:
    """PriceSerializer: `data` is a price of `payments.get_prices` (subscription_info in it)."""
    return {
        "id": _str(data["id"]),
        "product": _str(data["product"]),
        "type": _str(data["type"]),
        "recurring": data.get("recurring"),
        "currency": _str(data["currency"]),
        "unit_amount": _int(data.get("unit_amount")),
        "unit_amount_decimal": _str(data.get("unit_amount_decimal")),
        "nickname": _str(data.get("nickname")),
        "lookup_key": _str(data.get("lookup_key")),
        "metadata": _string_dict(data["metadata"]),
        "subscription_info": _subscription_info(data["subscription_info"]),
    }


def invoice(payload: Payload) -> Payload:
    """InvoiceSerializer."""
    return {
        "id": _str(payload["id"]),
        "number": _str(payload.get("number")),
        "status": _str(payload.get("status")),
        "currency": _str(payload.get("currency")),
        "amount_due": _int(payload.get("amount_due")),
        "amount_paid": _int(payload.get("amount_paid")),
        "amount_remaining": _int(payload.get("amount_remaining")),
        "billing_reason": _str(payload.get("billing_reason")),
        "created": _int(payload.get("created")),
        "hosted_invoice_url": _str(payload.get("hosted_invoice_url")),
        "invoice_pdf": _str(payload.get("invoice_pdf")),
        "next_payment_attempt": _int(payload.get("next_payment_attempt")),
        "subscription": invoice_subscription(payload),
    }


def payment_method(payload: Payload) -> Payload:
    """PaymentMethodSerializer: `payload` carries the `default` flag."""
    return {
        "id": _str(payload["id"]),
        "type": _str(payload["type"]),
        "billing_details": payload.get("billing_details"),
        "card": payload.get("card"),
        "created": _int(payload.get("created")),
        "default": _bool(payload.get("default"), nullable=True),
    }


def subscription(payload: Payload) -> Payload:
    """SubscriptionSerializer: with the `subscription_fields` of its first item, period and references."""
    fields = subscription_fields(payload)
    return {
        "id": _str(payload["id"]),
        "created": _int(payload.get("created")),
        "status": _str(payload["status"]),
        "product": _str(fields["product"]),
        "price": _str(fields["price"]),
        "quantity": _int(fields["quantity"]),
        "cancel_at": _int(payload.get("cancel_at")),
        "cancel_at_period_end": _bool(payload.get("cancel_at_period_end"), nullable=True),
        "canceled_at": _int(payload.get("canceled_at")),
        "current_period_start": fields["current_period_start"],
        "current_period_end": fields["current_period_end"],
        "days_until_due": _int(payload.get("days_until_due")),
        "default_payment_method": _str(fields["default_payment_method"]),
        "latest_invoice": _str(fields["latest_invoice"]),
        "start_date": _int(payload.get("start_date")),
        "trial_start": _int(payload.get("trial_start")),
        "trial_end": _int(payload.get("trial_end")),
    }


def _subscription_info(info: Payload | None) -> Payload | None:
    """SubscriptionInfoSerializer."""
    if info is None:
        return None
    return {
        "subscribed": _bool(info["subscribed"], nullable=False),
        "cancel_at": _int(info.get("cancel_at")),  # allow_null: a missing key reads as null
        "current_period_end": _int(info.get("current_period_end")),
    }


# DRF's conversions; a None stays None (DRF's Serializer skips the field's conversion for None).


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _strings(values: Any) -> list | None:
    """ListField(child=CharField())."""
    return None if values is None else [None if value is None else str(value) for value in values]


def _string_dict(values: Any) -> dict | None:
    """DictField(child=CharField())."""
    return (
        None if values is None else {str(key): None if value is None else str(value) for key, value in values.items()}
    )


def _each(present, values: Any) -> list | None:
    """A nested serializer with many=True."""
    return None if values is None else [present(value) for value in values]


def _bool(value: Any, nullable: bool) -> bool | None:
    """BooleanField.to_representation (`nullable`: allow_null), the same value sets."""
    if value is None or value is True or value is False:
        return value
    try:
        key = value.lower() if isinstance(value, str) else value
        if key in BooleanField.TRUE_VALUES:
            return True
        if key in BooleanField.FALSE_VALUES:
            return False
        if nullable and key in BooleanField.NULL_VALUES:
            return None
    except TypeError:  # unhashable: DRF falls through to bool() as well
        pass
    return bool(value)
