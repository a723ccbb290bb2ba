"""A customer on a metered price ("API calls", a sum meter) at the fake Stripe over HTTP, mirrored from the
fake's own webhooks delivered to the live server; and, for the outbox's tests, a meter at the fake and users
with a Stripe customer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from django_stripe.client import get_client
from django_stripe.testing.demo import DEMO_METER
from tests.billables import create_user, give_customer

SECRET = "whsec_test_usage"


@dataclass
class Metered:
    fake: object
    meter: str
    price: str
    customer: str
    subscription: str
    user: object


def send_usage(customer: str, value: int, identifier: str, event_name: str = "api_calls") -> None:
    """A meter event sent straight to the fake (what the outbox's task does, at v1)."""
    get_client().v1.billing.meter_events.create(
        params={
            "event_name": event_name,
            "payload": {"stripe_customer_id": customer, "value": str(value)},
            "identifier": identifier,
        }
    )


def make_metered(fake, username: str = "metered") -> Metered:
    client = get_client()
    meter = client.v1.billing.meters.retrieve(meter_id(fake)) if meter_id(fake) else None
    if meter is None:
        meter = client.v1.billing.meters.create(params=DEMO_METER)  # "API calls": api_calls, sum
    product = client.v1.products.create(params={"name": "API"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 2,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    customer = client.v1.customers.create(params={"email": f"{username}@example.com"})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    user = create_user(username)
    give_customer(user, customer.id)
    return Metered(fake, meter.id, price.id, customer.id, subscription.id, user)


def meter_id(fake) -> str | None:
    meters = get_client().v1.billing.meters.list(params={"status": "active"}).data
    return next((meter.id for meter in meters if meter.event_name == "api_calls"), None)


@pytest.fixture
def delivered(stripe_fake_server, live_server, settings):
    """The fake over HTTP, delivering its events, signed, to the live server's webhook endpoint."""
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    stripe_fake_server.add_webhook_endpoint(f"{live_server.url}/api/webhook/", SECRET)
    return stripe_fake_server


@pytest.fixture
def metered(delivered) -> Metered:
    return make_metered(delivered)


# -- the outbox's tests: a meter (event "api_call") and users with a customer, at the in-process fake ---------

EVENT_NAME = "api_call"


def create_meter(event_name: str = EVENT_NAME, formula: str = "sum"):
    return get_client().v1.billing.meters.create(
        {
            "display_name": f"Meter {event_name}",
            "event_name": event_name,
            "default_aggregation": {"formula": formula},
            "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": {"event_payload_key": "value"},
        }
    )


@pytest.fixture
def meter(stripe_fake):
    return create_meter()


@pytest.fixture
def customer_user(make_user, stripe_fake):
    """A user with a customer at the fake."""

    def make(username: str = "alice"):
        user = make_user(username)
        give_customer(user, get_client().v1.customers.create({"email": f"{username}@example.com"}).id)
        return user

    return make


def counted(fake, customer_id: str | None = None) -> dict[str, float]:
    """The fake's counted events (after counting the stream's), by identifier."""
    fake.process_meter_events()
    return {
        identifier: event.value
        for identifier, event in fake.usage.counted.items()
        if customer_id is None or event.customer == customer_id
    }
