"""A meter at the fake Stripe and users with a Stripe customer, for the usage outbox's tests."""

from __future__ import annotations

import pytest

from django_stripe.client import get_client

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
        user.stripe_customer_id = get_client().v1.customers.create({"email": f"{username}@example.com"}).id
        user.save(update_fields=["stripe_customer_id"])
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
