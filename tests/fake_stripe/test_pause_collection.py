"""`pause_collection` over HTTP: set and resumed, the renewals while paused per behavior (the invoice made and
voided, left a draft or marked uncollectible; nothing charged, the status still active), `resumes_at` on the
clock."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.clock import DAY

from .billing import Billing


def renew(b: Billing, subscription: stripe.Subscription) -> stripe.Invoice:
    current = b.client.v1.subscriptions.retrieve(subscription.id)
    b.fake.advance_clock(current["items"].data[0].current_period_end - b.fake.now() + 60)
    return b.client.v1.invoices.retrieve(b.client.v1.subscriptions.retrieve(subscription.id).latest_invoice)


@pytest.mark.parametrize(
    ("behavior", "status", "last_event"),
    [
        ("void", "void", "invoice.voided"),
        ("keep_as_draft", "draft", "invoice.created"),
        ("mark_uncollectible", "uncollectible", "invoice.marked_uncollectible"),
    ],
)
def test_a_renewal_while_paused_charges_nothing(billing: Billing, behavior, status, last_event):
    b = billing
    subscription = b.subscribe()
    paused = b.client.v1.subscriptions.update(subscription.id, {"pause_collection": {"behavior": behavior}})
    assert (paused.pause_collection.behavior, paused.pause_collection.resumes_at) == (behavior, None)
    assert paused.status == "active"
    assert b.types()[-1] == "customer.subscription.updated"
    invoice = renew(b, subscription)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (status, 0, "subscription_cycle")
    assert b.types()[-1] == last_event
    assert "invoice.paid" not in b.types()[-4:]
    assert b.client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_resuming_collects_the_next_renewal_again(billing: Billing):
    b = billing
    subscription = b.subscribe()
    b.client.v1.subscriptions.update(subscription.id, {"pause_collection": {"behavior": "void"}})
    resumed = b.client.v1.subscriptions.update(subscription.id, {"pause_collection": ""})
    assert resumed.pause_collection is None
    invoice = renew(b, subscription)
    assert (invoice.status, invoice.amount_paid) == ("paid", 1000)


def test_resumes_at_resumes_on_the_clock(billing: Billing):
    b = billing
    subscription = b.subscribe()
    resumes_at = b.fake.now() + 10 * DAY
    b.client.v1.subscriptions.update(
        subscription.id, {"pause_collection": {"behavior": "void", "resumes_at": resumes_at}}
    )
    b.fake.advance_clock(11 * DAY)
    assert b.client.v1.subscriptions.retrieve(subscription.id).pause_collection is None
    assert renew(b, subscription).status == "paid"


def test_a_pause_needs_a_known_behavior(billing: Billing):
    b = billing
    subscription = b.subscribe()
    for pause in ({"behavior": "forever"}, {"resumes_at": b.fake.now() + DAY}):
        with pytest.raises(stripe.InvalidRequestError):
            b.client.v1.subscriptions.update(subscription.id, {"pause_collection": pause})
    assert b.client.v1.subscriptions.retrieve(subscription.id).pause_collection is None
