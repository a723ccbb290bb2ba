"""pytest fixtures for any Python project (no Django): `pytest_plugins = ["fake_stripe.pytest_plugin"]`.

- `fake_stripe`: a fresh `FakeStripe`, reset before and after each test (in-process: no socket).
- `fake_stripe_client`: a `stripe.StripeClient` that talks to `fake_stripe` in-process.
- `fake_stripe_server`: a `FakeStripeServer` on 127.0.0.1 (a free port, one per session), its fake reset for each
  test; `.url` is the address to give an SDK or a program under test (`STRIPE_API_BASE`), `.fake` the fake.

    def test_checkout(fake_stripe_client, fake_stripe):
        product = fake_stripe_client.v1.products.create({"name": "Pro"})
        assert [e["type"] for e in fake_stripe.events] == ["product.created"]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from .core import FakeStripe
from .server import FakeStripeServer

FAKE_SECRET_KEY = "sk_test_fake"
"""The key the fixtures' clients use: the fake takes any `sk_test_...`."""


@pytest.fixture(scope="session")
def _fake_stripe_instance() -> FakeStripe:
    # One fake per session, reset for every test: its in-process HTTP client stays the same object, so that a
    # client cache keyed on it (django_stripe.client's) does not grow.
    return FakeStripe()


@pytest.fixture
def fake_stripe(_fake_stripe_instance: FakeStripe) -> Iterator[FakeStripe]:
    """A fresh fake Stripe, in-process: `fake.http_client()` is the SDK transport that reaches it."""
    fake = _fake_stripe_instance
    fake.reset()
    fake.public_url = None  # in-process, hosted pages link to Stripe's hosts (nothing would answer the fake's)
    yield fake
    fake.reset()


@pytest.fixture
def fake_stripe_client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    """A `stripe.StripeClient` on `fake_stripe`, in-process (no retries: a fault the test injects is seen)."""
    return stripe.StripeClient(FAKE_SECRET_KEY, http_client=fake_stripe.http_client(), max_network_retries=0)


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripeServer]:
    server = FakeStripeServer(FakeStripe()).start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe_server(_fake_stripe_server: FakeStripeServer) -> Iterator[FakeStripeServer]:
    """The session's fake Stripe over real HTTP, reset: `.url` is its address, `.fake` the fake behind it."""
    _fake_stripe_server.fake.reset()
    yield _fake_stripe_server
    _fake_stripe_server.fake.reset()
