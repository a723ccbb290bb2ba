"""Fill the fake Stripe fast (its request pipeline, no SDK), and compare the mirror with it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model

from django_stripe import models
from django_stripe.sync.upsert import MIRRORS, columns_for

AUTH = {"Authorization": "Bearer sk_test_fake", "Content-Type": "application/x-www-form-urlencoded"}

STRIPE_TYPES = {
    models.Product: "product",
    models.Price: "price",
    models.Customer: "customer",
    models.PaymentMethod: "payment_method",
    models.Subscription: "subscription",
    models.SubscriptionSchedule: "subscription_schedule",
    models.Invoice: "invoice",
}


def call(fake: Any, method: str, path: str, **params: Any) -> dict[str, Any]:
    status, _, body = fake.handle(method, path, AUTH, urlencode(params) if params else None)
    assert status == 200, body
    return json.loads(body)


def seed(fake: Any, *, products: int, customers: int, subscribers: int) -> dict[str, Any]:
    """`products` products with two prices each, `customers` customers, the first `subscribers` of them
    subscribed (each with a card and an invoice); the first product grants the feature "exports"."""
    product_ids, price_ids = [], []
    for n in range(products):
        product = call(fake, "POST", "/v1/products", name=f"Product {n}", **{"metadata[n]": str(n)})
        product_ids.append(product["id"])
        for interval, amount in (("month", 1000 + n), ("year", 10000 + n)):
            price = call(
                fake,
                "POST",
                "/v1/prices",
                product=product["id"],
                currency="usd",
                unit_amount=amount,
                **{"recurring[interval]": interval},
            )
            price_ids.append(price["id"])
    fake.add_product_feature(product_ids[0], "exports")
    customer_ids = []
    for n in range(customers):
        customer = call(fake, "POST", "/v1/customers", email=f"c{n}@example.com", name=f"Customer {n}")
        customer_ids.append(customer["id"])
        if n < subscribers:
            call(
                fake,
                "POST",
                "/v1/subscriptions",
                customer=customer["id"],
                default_payment_method="pm_card_visa",
                **{"items[0][price]": price_ids[n % len(price_ids)]},
            )
    return {"products": product_ids, "prices": price_ids, "customers": customer_ids}


def subscribed_to_three_prices(fake: Any) -> dict[str, Any]:
    """A subscription with three items at the fake, as Stripe returns it."""
    product = call(fake, "POST", "/v1/products", name="Seats")
    prices = [
        call(fake, "POST", "/v1/prices", product=product["id"], currency="usd", unit_amount=100 * n,
             **{"recurring[interval]": "month"})["id"]
        for n in (1, 2, 3)
    ]  # fmt: skip
    customer_id = call(fake, "POST", "/v1/customers", email="seats@example.com")["id"]
    items = {f"items[{n}][price]": price for n, price in enumerate(prices)}
    return call(fake, "POST", "/v1/subscriptions", customer=customer_id, default_payment_method="pm_card_visa", **items)


def with_items_cut(subscription: dict[str, Any]) -> dict[str, Any]:
    """The subscription as Stripe sends one with more items than it embeds: the first only, `has_more`."""
    items = subscription["items"]
    return {**subscription, "items": {**items, "data": items["data"][:1], "has_more": True}}


def fake_objects(fake: Any, object_type: str) -> list[dict[str, Any]]:
    with fake.locked():
        return [json.loads(json.dumps(obj)) for obj in fake.store.newest_first(object_type)]


def assert_mirrors(fake: Any, model: type[Model], ignore: tuple[str, ...] = ()) -> int:
    """Every object of the type at the fake is mirrored, column for column (a cancelled subscription as a
    tombstone); no other row is live. Returns how many objects the fake has.

    `ignore`: payload keys left out of the comparison of `stripe_data`, for changes Stripe sends no event
    about (a customer's `next_invoice_sequence` after a renewal invoice).
    """
    expected = {obj["id"]: obj for obj in fake_objects(fake, STRIPE_TYPES[model])}
    rows = model.objects.in_bulk(list(expected))
    assert set(rows) == set(expected), (model.__name__, len(rows), len(expected))
    spec = MIRRORS[model]
    for object_id, payload in expected.items():
        for name, value in columns_for(spec, payload, False).items():
            held = getattr(rows[object_id], name)
            if name == "stripe_data":
                held, value = _without(held, ignore), _without(value, ignore)
            assert held == value, (model.__name__, object_id, name, _differences(held, value))
    assert not model.objects.filter(deleted=False).exclude(pk__in=list(expected)).exists()
    return len(expected)


def _differences(held: Any, expected: Any) -> Any:
    """The keys of a payload whose values differ (the whole values for any other column), for the message."""
    if isinstance(held, dict) and isinstance(expected, dict):
        return sorted(key for key in held.keys() | expected.keys() if held.get(key) != expected.get(key))
    return held, expected


def _without(payload: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in keys}
