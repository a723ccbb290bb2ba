"""The demo catalogue: one product with three prices (monthly and yearly) carrying the metadata the
self-hosted checkout shows (`price_header`, `additional_info`, `more_additional_info`); and, on a product of
its own, the metered price "API calls" ($0.02 a call, billed monthly for what its meter counted).

`make demo` seeds the fake Stripe with it; the portal and browser tests use it too.
"""

from __future__ import annotations

from typing import Any

DEMO_PRODUCT_ID = "prod_DjangoStripeDemo"
DEMO_PRODUCT = {"name": "Django Stripe Pro", "description": "Everything you need, billed monthly or yearly."}
DEMO_PRICES: tuple[dict[str, Any], ...] = (
    {
        "nickname": "starter-monthly",
        "unit_amount": 500,
        "interval": "month",
        "metadata": {
            "price_header": "Starter",
            "additional_info": "For individuals",
            "more_additional_info": "One project, email support",
        },
    },
    {
        "nickname": "pro-monthly",
        "unit_amount": 1500,
        "interval": "month",
        "metadata": {
            "price_header": "Pro",
            "additional_info": "For growing teams",
            "more_additional_info": "Unlimited projects, priority support",
        },
    },
    {
        "nickname": "pro-yearly",
        "unit_amount": 15000,
        "interval": "year",
        "metadata": {
            "price_header": "Pro yearly",
            "additional_info": "Two months free",
            "more_additional_info": "Everything in Pro, billed once a year",
        },
    },
)


def seed_demo_catalogue(client: Any, product_id: str = DEMO_PRODUCT_ID, currency: str = "usd") -> dict[str, Any]:
    """Create the demo product and its prices with a `stripe.StripeClient`; returns the created objects as
    `{"product": Product, "prices": [Price, ...]}` (cheapest first)."""
    product = client.v1.products.create(params={"id": product_id, **DEMO_PRODUCT})
    prices = [
        client.v1.prices.create(
            params={
                "product": product.id,
                "currency": currency,
                "unit_amount": spec["unit_amount"],
                "nickname": spec["nickname"],
                "recurring": {"interval": spec["interval"]},
                "metadata": spec["metadata"],
            }
        )
        for spec in DEMO_PRICES
    ]
    return {"product": product, "prices": prices}


DEMO_METERED_PRODUCT_ID = "prod_DjangoStripeDemoApiCalls"
DEMO_METER = {
    "display_name": "API calls",
    "event_name": "api_calls",
    "default_aggregation": {"formula": "sum"},
    "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
    "value_settings": {"event_payload_key": "value"},
}
DEMO_METERED_PRICE = {"nickname": "api-calls", "unit_amount": 2, "interval": "month"}


def seed_demo_meter(client: Any, currency: str = "usd") -> dict[str, Any]:
    """Create the demo's meter ("API calls", event `api_calls`) and its metered price on a product of its own;
    returns `{"meter": Meter, "product": Product, "price": Price}`."""
    meter = client.v1.billing.meters.create(params=DEMO_METER)
    product = client.v1.products.create(params={"id": DEMO_METERED_PRODUCT_ID, "name": "API calls"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": currency,
            "unit_amount": DEMO_METERED_PRICE["unit_amount"],
            "nickname": DEMO_METERED_PRICE["nickname"],
            "recurring": {"interval": DEMO_METERED_PRICE["interval"], "usage_type": "metered", "meter": meter.id},
        }
    )
    return {"meter": meter, "product": product, "price": price}
