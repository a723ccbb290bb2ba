"""The writes a user asks for themselves (the REST API and the portal call them), with the project's billing
policy: against the fake, through the real SDK."""

import pytest
import stripe

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.exceptions import StripeRequestRefused, StripeWrongCustomer
from django_stripe.models import Subscription
from tests.billables import billable_of

from .test_writes import add_card, declined_card

pytestmark = pytest.mark.django_db


def test_a_promotion_code_is_refused_unless_the_project_takes_them(synced_fake, catalogue, make_user, settings):
    user = make_user()
    with pytest.raises(StripeRequestRefused, match="Promotion codes are not accepted."):
        payments.subscribe(
            billable_of(user), catalogue["monthly"], default_payment_method=add_card(user), promotion_code="X"
        )
    assert get_client().v1.subscriptions.list().data == []
    settings.STRIPE_ALLOW_PROMOTION_CODES = True
    assert payments.check_promotion_code("SPRING") == "SPRING"


def test_a_declined_card_fails_the_subscription_instead_of_leaving_it_incomplete(synced_fake, catalogue, make_user):
    user = make_user()
    with pytest.raises(stripe.CardError):
        payments.subscribe(billable_of(user), catalogue["monthly"], default_payment_method=declined_card(user))
    assert payments.is_subscribed(billable_of(user), catalogue["product"]) is False


def test_change_subscription_changes_only_what_is_given(synced_fake, catalogue, make_user):
    user = make_user()
    subscription = payments.subscribe(billable_of(user), catalogue["monthly"], default_payment_method=add_card(user))
    payments.change_subscription(billable_of(user), subscription.id, cancel_at_period_end=True)
    row = Subscription.objects.get(id=subscription.id)
    assert row.cancel_at_period_end is True and row.items.get(deleted=False).price_id == catalogue["monthly"]
    payments.change_subscription(billable_of(user), subscription.id, price_id=catalogue["yearly"], quantity=2)
    item = Subscription.objects.get(id=subscription.id).items.get(deleted=False)
    assert (item.price_id, item.quantity) == (catalogue["yearly"], 2)


def test_a_payment_method_checkout_names_only_the_users_own_subscription(synced_fake, catalogue, make_user):
    owner, intruder = make_user("owner"), make_user("intruder")
    subscription = payments.subscribe(billable_of(owner), catalogue["monthly"], default_payment_method=add_card(owner))
    session = payments.create_payment_method_checkout(billable_of(owner), subscription.id)
    setup_intent = synced_fake.get(session.id)["setup_intent"]
    assert synced_fake.get(setup_intent)["metadata"] == {"subscription_id": subscription.id}
    with pytest.raises(StripeWrongCustomer):
        payments.create_payment_method_checkout(billable_of(intruder), subscription.id)
