"""The fake's billing tests' fixture: `billing`, a catalogue and a client on the fake over real HTTP."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.server import FakeStripeServer

from .billing import Billing


@pytest.fixture
def billing(fake_stripe_server: FakeStripeServer) -> Billing:
    api = {"api": fake_stripe_server.url}
    client = stripe.StripeClient("sk_test_billing", base_addresses=api, max_network_retries=0)
    product = client.v1.products.create({"name": "Plan"})

    def price(amount: int, interval: str = "month") -> str:
        spec = {"product": product.id, "currency": "usd", "unit_amount": amount, "recurring": {"interval": interval}}
        return client.v1.prices.create(spec).id

    return Billing(fake_stripe_server.fake, client, price(1000), price(3000), price(10000, "year"))
