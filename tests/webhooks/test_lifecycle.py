"""A subscription's life at the fake Stripe, delivered over signed HTTP in many orders with duplicates:
after every order the mirror equals the fake's final state."""

import random

import pytest

from django_stripe.models import MIRRORED_MODELS, WebhookEvent

from .conftest import Deliverer
from .lifecycle import mirror_differences, run_subscription_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 12


def clear_mirror():
    WebhookEvent.objects.all().delete()
    for model in MIRRORED_MODELS:
        model.objects.all().delete()


def test_any_delivery_order_with_duplicates_converges_to_stripes_state(stripe_fake, web_server, webhook_secret):
    stripe_fake.delivery_mode = "queued"
    run_subscription_lifecycle(stripe_fake)
    events = stripe_fake.events
    types = {event["type"] for event in events}
    assert {"customer.subscription.created", "customer.subscription.deleted", "invoice.payment_failed"} <= types
    assert sum(event["type"].startswith("customer.subscription.") for event in events) >= 8

    deliverer = Deliverer(web_server.url)
    for seed in range(ORDERS):
        rng = random.Random(seed)
        deliveries = events + rng.sample(events, len(events) // 3)  # a third delivered twice
        order = list(reversed(deliveries)) if seed == 0 else rng.sample(deliveries, len(deliveries))
        for event in order:
            assert deliverer.send(event).status == 200
        assert WebhookEvent.objects.count() == len(events)
        assert set(WebhookEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
        assert mirror_differences(stripe_fake, events) == [], f"order seed {seed}"
        clear_mirror()
