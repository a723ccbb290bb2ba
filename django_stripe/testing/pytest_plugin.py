"""pytest fixtures for projects using django-stripe: `pytest_plugins = ["django_stripe.testing.pytest_plugin"]`.

It builds on `fake_stripe.pytest_plugin` (whose fixtures, `fake_stripe`, `fake_stripe_client` and
`fake_stripe_server`, come with it) and adds the Django glue: the settings that point `django_stripe.client` at the
fake.

- `stripe_fake`: a reset `FakeStripe`, with `django_stripe.client` pointed at it in-process (no socket).
- `stripe_fake_server`: the same fake served on 127.0.0.1 (a free port) and `STRIPE_API_BASE` pointing there.

Both need pytest-django (they override settings through its `settings` fixture).
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_stripe import FakeStripe, FakeStripeServer

# Loaded by pytest (not imported here, which would keep pytest from rewriting its asserts).
pytest_plugins = ["fake_stripe.pytest_plugin"]

FAKE_SECRET_KEY = "sk_test_fake"
FAKE_API_BASE = "http://fake-stripe.invalid"


@pytest.fixture
def stripe_fake(fake_stripe: FakeStripe, settings: Any) -> FakeStripe:
    """A fresh fake Stripe that `django_stripe.client.get_client()` talks to in-process."""
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_BASE = FAKE_API_BASE
    settings.STRIPE_HTTP_CLIENT = fake_stripe.http_client()
    return fake_stripe


@pytest.fixture
def stripe_fake_server(fake_stripe_server: FakeStripeServer, settings: Any) -> FakeStripe:
    """A fresh fake Stripe served over real HTTP on 127.0.0.1; `fake.public_url` is its address."""
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_BASE = fake_stripe_server.url
    settings.STRIPE_HTTP_CLIENT = None
    return fake_stripe_server.fake
