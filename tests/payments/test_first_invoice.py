"""create_subscription mirrors the subscription's first invoice with it: the invoice list shows it at once."""

import pytest
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import Invoice, Subscription
from tests.billables import billable_of

pytestmark = pytest.mark.django_db


def add_card(user):
    setup_intent = payments.create_setup_intent(billable_of(user))
    confirmed = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
    return confirmed.payment_method


@pytest.fixture
def held_webhooks(synced_fake, catalogue):
    """The catalogue is mirrored; from now on the fake holds its events back (nothing reaches the webhook)."""
    synced_fake.delivery_mode = "queued"
    return synced_fake


@pytest.mark.parametrize("trial", [False, True], ids=["paid", "trial"])
def test_first_invoice_is_listed_before_its_webhook(held_webhooks, catalogue, make_user, trial):
    user = make_user()
    client = APIClient()
    client.force_authenticate(user)
    card = add_card(user)
    kwargs = {"trial_period_days": 7} if trial else {}
    subscription = payments.create_subscription(
        billable_of(user), catalogue["monthly"], default_payment_method=card, **kwargs
    )

    assert [event["type"] for event in held_webhooks.queued_events()]  # no webhook was delivered
    invoice_id = subscription.latest_invoice
    assert isinstance(invoice_id, str)  # returned in Stripe's unexpanded shape, as before
    listed = client.get("/api/invoices/").json()
    assert [(row["id"], row["subscription"], row["billing_reason"]) for row in listed] == [
        (invoice_id, subscription.id, "subscription_create")
    ]
    assert listed[0]["status"] == held_webhooks.get(invoice_id)["status"] == "paid"
    assert listed[0]["amount_due"] == (0 if trial else 1000)
    row = Subscription.objects.get(id=subscription.id)
    assert row.latest_invoice_id == invoice_id
    assert row.stripe_data["latest_invoice"] == invoice_id  # the stored payload is unexpanded, as a webhook's

    # The held events arrive late: the invoice, already mirrored, converges to Stripe's state.
    held_webhooks.deliver_queued()
    assert Invoice.objects.get(id=invoice_id).stripe_data == dict(held_webhooks.get(invoice_id))
