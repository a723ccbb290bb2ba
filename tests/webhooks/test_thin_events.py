"""Thin events (an event destination's notifications) and snapshots of old API versions, delivered over signed
HTTP to a live server: the worker reads each object from the fake at the pinned version, and the mirror ends
equal to the fake's state."""

from __future__ import annotations

import json

import pytest

from django_stripe.client import api_version, get_client
from django_stripe.models import Price, Product, WebhookEvent

from .conftest import SECRET, Deliverer
from .lifecycle import mirror_differences, run_subscription_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)

OLD_VERSIONS = ("2020-03-02", "2022-11-15", "2024-06-20", "2025-03-31.basil")


def lifecycle_events(fake) -> list[dict]:
    fake.delivery_mode = "queued"
    run_subscription_lifecycle(fake)
    return fake.events


def test_thin_events_converge_the_mirror_to_the_fake(stripe_fake, live_server, webhook_secret):
    events = lifecycle_events(stripe_fake)
    url = Deliverer(live_server.url).url
    stripe_fake.add_event_destination(url, SECRET)
    for event in events:
        assert [delivery.status for delivery in stripe_fake.deliver(event)] == [200]

    stored = WebhookEvent.objects.all()
    assert stored.count() == len(events)
    assert all(row.type.startswith("v1.") and row.payload["object"] == "v2.core.event" for row in stored)
    assert all("data" not in row.payload for row in stored)  # stored as received: no snapshot
    assert set(stored.values_list("status", flat=True)) <= {"processed", "ignored"}
    assert stored.filter(type="v1.customer.subscription.updated", status="processed").exists()
    assert mirror_differences(stripe_fake, events) == []


def test_a_thin_event_is_fetched_back_through_the_events_v2_api_as_the_sdk_does(stripe_fake):
    received: list[bytes] = []
    stripe_fake.add_event_destination(lambda body, headers: received.append(body) or 200, SECRET)
    product = get_client().v1.products.create({"name": "Thin"})
    body = received[-1]
    header = stripe_fake.sign(body, SECRET)

    notification = get_client().parse_event_notification(body, header, SECRET)
    assert (notification.type, notification.related_object.id) == ("v1.product.created", product.id)
    event = notification.fetch_event()
    assert event.id == notification.id and event.snapshot_event == stripe_fake.events[-1]["id"]
    assert notification.fetch_related_object().id == product.id


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_events_rendered_at_an_old_api_version_converge(stripe_fake, live_server, webhook_secret, version):
    events = lifecycle_events(stripe_fake)
    stripe_fake.add_webhook_endpoint(Deliverer(live_server.url).url, SECRET, api_version=version)
    for event in events:
        assert [delivery.status for delivery in stripe_fake.deliver(event)] == [200]

    assert set(WebhookEvent.objects.values_list("api_version", flat=True)) == {version}
    assert set(WebhookEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
    assert mirror_differences(stripe_fake, events) == []


def test_an_old_version_renders_the_shapes_the_mirror_would_misread(stripe_fake):
    """The drifted events are old in fact: applied as received, their shapes would not be the pinned one's."""
    received: list[dict] = []
    stripe_fake.add_webhook_endpoint(
        lambda body, headers: received.append(json.loads(body)) or 200, SECRET, api_version="2024-06-20"
    )
    run_subscription_lifecycle(stripe_fake)
    subscription = next(e for e in received if e["type"] == "customer.subscription.updated")["data"]["object"]
    invoice = next(e for e in received if e["type"] == "invoice.paid")["data"]["object"]
    assert "current_period_end" in subscription
    assert "current_period_end" not in subscription["items"]["data"][0]
    assert subscription["items"]["data"][0]["plan"]["id"] == subscription["items"]["data"][0]["price"]["id"]
    assert invoice["subscription"] == subscription["id"] and "parent" not in invoice
    assert received[0]["api_version"] == "2024-06-20" != api_version()


def test_a_plan_event_is_applied_as_the_price_it_is(stripe_fake, deliver):
    product = get_client().v1.products.create({"name": "Legacy"})
    price = get_client().v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 700, "recurring": {"interval": "month"}}
    )
    plan = {"id": price.id, "object": "plan", "amount": 1, "interval": "month", "product": product.id}
    event = {**stripe_fake.events[-1], "id": "evt_plan_created", "type": "plan.created", "data": {"object": plan}}

    assert deliver.send(event).status == 200

    row = WebhookEvent.objects.get(pk="evt_plan_created")
    assert row.status == "processed" and row.type == "plan.created"
    assert Price.objects.get(pk=price.id).unit_amount == 700  # the price as Stripe has it, not the plan's 1
    assert Product.objects.filter(pk=product.id).exists() is False  # only the price is read


def test_a_thin_deletion_tombstones_the_object(stripe_fake, live_server, webhook_secret):
    stripe_fake.add_event_destination(Deliverer(live_server.url).url, SECRET)
    product = get_client().v1.products.create({"name": "Short-lived"})
    assert Product.objects.get(pk=product.id).deleted is False
    get_client().v1.products.delete(product.id)

    assert WebhookEvent.objects.get(type="v1.product.deleted").status == "processed"
    assert Product.objects.get(pk=product.id).deleted is True


def test_a_v2_event_reaches_only_its_own_handlers(stripe_fake, deliver):
    notification = {
        "id": "evt_test_v2_account",
        "object": "v2.core.event",
        "type": "v2.core.account.updated",
        "created": "2026-12-08T02:00:00.000Z",
        "livemode": False,
        "related_object": {"id": "acct_1", "type": "v2.core.account", "url": "/v2/core/accounts/acct_1"},
    }
    assert deliver.send(notification).status == 200
    assert WebhookEvent.objects.get(pk="evt_test_v2_account").status == "ignored"


def test_an_endpoint_and_an_event_destination_side_by_side_each_with_its_secret(stripe_fake, live_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = ["whsec_the_endpoint", "whsec_the_destination"]
    events = lifecycle_events(stripe_fake)
    url = Deliverer(live_server.url).url
    stripe_fake.add_webhook_endpoint(url, "whsec_the_endpoint")
    stripe_fake.add_event_destination(url, "whsec_the_destination")
    assert {delivery.status for delivery in stripe_fake.deliver_queued()} == {200}

    assert WebhookEvent.objects.filter(type__startswith="v1.").count() == len(events)
    assert WebhookEvent.objects.exclude(type__startswith="v1.").count() == len(events)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
    assert mirror_differences(stripe_fake, events) == []
