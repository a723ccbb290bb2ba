"""The shop every attack runs against: the fake Stripe served over HTTP, its signed webhooks delivered to the
live server."""

from __future__ import annotations

import pytest

from django_stripe.client import get_client

from .attacks import SECRET, new_price


@pytest.fixture
def shop(stripe_fake_server, live_server, settings):
    """A product with a monthly and a yearly price at the fake, mirrored through webhooks sent over HTTP."""
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    stripe_fake_server.add_webhook_endpoint(f"{live_server.url}/api/webhook/", SECRET)
    product = get_client().v1.products.create(params={"name": "Gold"})
    prices = {
        interval: new_price(product.id, amount, interval) for interval, amount in (("month", 1000), ("year", 10000))
    }
    return {"url": live_server.url, "fake": stripe_fake_server, "product": product.id, **prices}
