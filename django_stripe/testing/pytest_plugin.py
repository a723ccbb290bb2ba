"""pytest fixtures for projects using django-stripe: `pytest_plugins = ["django_stripe.testing.pytest_plugin"]`.

- `stripe_fake`: a reset `FakeStripe`, with `django_stripe.client` pointed at it in-process (no socket).
- `stripe_fake_server`: the same fake served on 127.0.0.1 (a free port) and `STRIPE_API_BASE` pointing there.

Both need pytest-django (they override settings through its `settings` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fake_stripe import FakeStripe, FakeStripeServer

FAKE_SECRET_KEY = "sk_test_fake"
FAKE_API_BASE = "http://fake-stripe.invalid"


@pytest.fixture(scope="session")
def _stripe_fake_instance() -> FakeStripe:
    # One fake per session, reset for every test: its HTTP client stays the same object, so the client
    # cache in django_stripe.client does not grow.
    return FakeStripe()


@pytest.fixture
def stripe_fake(_stripe_fake_instance: FakeStripe, settings: Any) -> Iterator[FakeStripe]:
    """A fresh fake Stripe that `django_stripe.client.get_client()` talks to in-process."""
    fake = _stripe_fake_instance
    fake.reset()
    fake.public_url = None
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_BASE = FAKE_API_BASE
    settings.STRIPE_HTTP_CLIENT = fake.http_client()
    yield fake
    fake.reset()


@pytest.fixture(scope="session")
def _stripe_fake_server() -> Iterator[FakeStripeServer]:
    server = FakeStripeServer(FakeStripe()).start()
    yield server
    server.stop()


@pytest.fixture
def stripe_fake_server(_stripe_fake_server: FakeStripeServer, settings: Any) -> Iterator[FakeStripe]:
    """A fresh fake Stripe served over real HTTP on 127.0.0.1; `fake.public_url` is its address."""
    fake = _stripe_fake_server.fake
    fake.reset()
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_BASE = _stripe_fake_server.url
    settings.STRIPE_HTTP_CLIENT = None
    yield fake
    fake.reset()
