"""`checkout.session.completed` links the session's customer to the user named by `client_reference_id`
only when the app vouches for the session: Payment Links and pricing tables let the buyer set that id."""

import logging

import pytest
from django.contrib.auth import get_user_model

from django_stripe.models import Customer, Subscription
from django_stripe.payments import create_checkout
from django_stripe.testing.factories import CustomerPayloadFactory, SubscriptionPayloadFactory
from django_stripe.webhooks.linking import CHECKOUT_USER_KEY
from django_stripe.webhooks.processing import process_event

from .events import stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim():
    return get_user_model().objects.create(username="victim", email="Victim@Example.com")


def session(user, **fields) -> dict:
    """A completed session naming `user`, paid by the customer cus_buyer."""
    return {
        "id": "cs_linking",
        "object": "checkout.session",
        "customer": "cus_buyer",
        "client_reference_id": str(user.pk),
        "customer_details": {"email": "attacker@example.com"},
        "metadata": {},
        "subscription": SubscriptionPayloadFactory(customer="cus_buyer"),
        **fields,
    }


def complete(checkout: dict) -> str:
    return process_event(stored("checkout.session.completed", checkout).id)


def customer_of(user) -> str | None:
    user.refresh_from_db()
    return user.stripe_customer_id


def test_a_session_the_buyer_pointed_at_another_user_links_nothing(victim, caplog):
    with caplog.at_level(logging.WARNING, logger="django_stripe.webhooks.linking"):
        assert complete(session(victim)) == "processed"

    assert customer_of(victim) is None
    assert "cs_linking" in caplog.text and "not linked" in caplog.text
    assert Subscription.objects.get().customer_id == "cus_buyer"  # the rest of the event is applied


def test_a_session_our_create_checkout_made_for_the_user_links_them(victim):
    complete(session(victim, metadata={CHECKOUT_USER_KEY: str(victim.pk)}))

    assert customer_of(victim) == "cus_buyer"


def test_a_marker_for_another_user_does_not_vouch(victim, make_user):
    other = make_user("other")

    complete(session(victim, metadata={CHECKOUT_USER_KEY: str(other.pk)}))

    assert customer_of(victim) is None


def session_with_the_users_email(user, where: str) -> dict:
    email = "  victim@EXAMPLE.com"  # compared without case
    if where == "customer_details":
        return session(user, customer_details={"email": email})
    if where == "expanded customer":
        return session(user, customer=CustomerPayloadFactory(id="cus_buyer", email=email), customer_details=None)
    Customer.objects.create(id="cus_buyer", email=email)
    return session(user, customer_details=None)


WHERE = ["customer_details", "expanded customer", "mirrored customer"]


@pytest.mark.parametrize("where", WHERE)
def test_a_customer_with_the_users_email_does_not_link_them_unless_the_email_is_verified(victim, where):
    # Anyone may register a user with someone else's address: by default an address proves nothing.
    complete(session_with_the_users_email(victim, where))

    assert customer_of(victim) is None


@pytest.mark.parametrize("where", WHERE)
def test_a_customer_with_the_users_verified_email_links_them(victim, where, settings):
    settings.STRIPE_VERIFIED_EMAIL = lambda user: user.pk == victim.pk

    complete(session_with_the_users_email(victim, where))

    assert customer_of(victim) == "cus_buyer"


def test_an_email_the_project_does_not_say_is_verified_does_not_link(victim, settings):
    settings.STRIPE_VERIFIED_EMAIL = lambda user: False

    complete(session_with_the_users_email(victim, "customer_details"))

    assert customer_of(victim) is None


def test_a_user_without_an_email_is_never_matched_by_email(make_user):
    user = make_user("no-email", email="")

    complete(session(user, customer_details={"email": ""}))

    assert customer_of(user) is None


def test_create_checkout_marks_the_session_as_made_for_the_user(stripe_fake, make_user):
    user = make_user("buyer", email="buyer@example.com")

    checkout = create_checkout(user, mode="setup", metadata={"campaign": "spring"})

    held = stripe_fake.get(checkout.id)
    assert held["metadata"] == {"campaign": "spring", CHECKOUT_USER_KEY: str(user.pk)}
    assert held["client_reference_id"] == str(user.pk)
