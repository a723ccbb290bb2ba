"""Events reach registered endpoints by real HTTP POST, signed so that the SDK verifies them."""

import json

import pytest
import stripe

from .receivers import SECRET


def test_subscription_webhooks_verify_with_the_sdk(client, fake, receiver, customer, price):
    fake.add_webhook_endpoint(receiver.url, SECRET)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    assert not receiver.failures
    assert receiver.types() == [
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    created = receiver.events[2]
    assert created.data.object.id == subscription.id
    assert created.data.object["items"].data[0].current_period_end == subscription["items"].data[0].current_period_end
    paid = receiver.events[5]
    assert paid.data.object.parent.subscription_details.subscription == subscription.id
    assert created.api_version == stripe.api_version and created.request.idempotency_key
    assert all(delivery.ok for delivery in fake.deliveries)


def test_queued_delivery_in_any_order_any_number_of_times(client, fake, receiver):
    fake.delivery_mode = "queued"
    fake.add_webhook_endpoint(receiver.url, SECRET)
    product = client.v1.products.create({"name": "A"})
    client.v1.products.update(product.id, {"name": "B"})
    assert receiver.events == []
    created, updated = fake.queued_events()
    assert [created["type"], updated["type"]] == ["product.created", "product.updated"]

    fake.deliver(updated)
    fake.deliver(created)
    fake.deliver(updated, url=receiver.url)
    assert receiver.types() == ["product.updated", "product.created", "product.updated"]
    assert fake.queued_events() == []


def test_deliver_queued_and_callable_endpoint(client, fake):
    received = []
    fake.delivery_mode = "queued"
    fake.add_webhook_endpoint(lambda body, headers: received.append((body, headers)) or 200, SECRET)
    client.v1.customers.create({"email": "x@example.com"})
    assert received == []
    deliveries = fake.deliver_queued()
    assert [d.event_type for d in deliveries] == ["customer.created"] and deliveries[0].ok
    body, headers = received[0]
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
    assert event.type == "customer.created"


def test_failed_delivery_is_recorded_not_raised(client, fake):
    fake.add_webhook_endpoint("http://127.0.0.1:9/nothing-listens-here", SECRET)
    client.v1.products.create({"name": "A"})
    assert fake.deliveries[-1].status is None and fake.deliveries[-1].error


def test_sign():
    from django_stripe.testing.fake import FakeStripe

    payload = json.dumps({"id": "evt_1", "object": "event"}).encode()
    header = FakeStripe.sign(payload, SECRET)
    assert stripe.Webhook.construct_event(payload, header, SECRET)["id"] == "evt_1"
    old = FakeStripe.sign(payload, SECRET, timestamp=1)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, old, SECRET)
