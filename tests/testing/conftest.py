"""Every flow runs twice: against the fake in-process and over real HTTP, both through django_stripe.client."""

from __future__ import annotations

import pytest

from django_stripe.client import get_client

from .receivers import Receiver


@pytest.fixture(params=["in_process", "http"])
def fake(request):
    return request.getfixturevalue("stripe_fake" if request.param == "in_process" else "stripe_fake_server")


@pytest.fixture
def client(fake):
    return get_client()


@pytest.fixture
def price(client):
    product = client.v1.products.create({"name": "Pro"})
    return client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 2000, "recurring": {"interval": "month"}}
    )


@pytest.fixture
def customer(client):
    return client.v1.customers.create({"email": "jenny@example.com", "name": "Jenny"})


@pytest.fixture
def receiver():
    """A real webhook endpoint on 127.0.0.1 verifying signatures with `receivers.SECRET` (or its `.secret`)."""
    receiver = Receiver()
    yield receiver
    receiver.close()
