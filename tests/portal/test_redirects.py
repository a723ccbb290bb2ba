"""The redirects to Stripe's hosted pages: login first, then straight to the page the fake Stripe hosts."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from django_stripe.models import Subscription

from .conftest import subscribe

FAKE_URL = "http://127.0.0.1:12111"

ROUTES = [
    ("go-to-checkout", {"price_id": "price_123"}),
    ("go-to-setup-checkout", {}),
    ("go-to-setup-checkout", {"subscription_id": "sub_123"}),
    ("go-to-billing-portal", {}),
    ("subscription-portal", {}),
    ("subscription-history", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), ROUTES)
def test_anonymous_users_are_sent_to_login(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{django_settings.LOGIN_URL}?next={url}"


@pytest.fixture
def hosted(plans, synced_fake):
    synced_fake.public_url = FAKE_URL
    return synced_fake


def test_checkout_redirects_to_the_fakes_hosted_checkout(logged_in, user, plans, hosted):
    price = plans["prices"][1]
    response = logged_in.get(reverse("go-to-checkout", args=[price]))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{FAKE_URL}/c/pay/cs_test_")
    session = hosted.get(response["Location"].rsplit("/", 1)[1])
    assert session["mode"] == "subscription"
    assert session["status"] == "open"
    user.refresh_from_db()
    assert session["customer"] == user.stripe_customer_id
    assert session["client_reference_id"] == str(user.pk)


def test_checkout_page_of_the_redirect_can_be_completed(logged_in, user, plans, hosted):
    response = logged_in.get(reverse("go-to-checkout", args=[plans["prices"][0]]))
    session_id = response["Location"].rsplit("/", 1)[1]

    hosted.complete_checkout_session(session_id)

    user.refresh_from_db()
    subscription = Subscription.objects.get(customer_id=user.stripe_customer_id)
    assert subscription.status == "active"


def test_checkout_of_an_unknown_price_is_404(logged_in, plans, hosted):
    assert logged_in.get(reverse("go-to-checkout", args=["price_missing"])).status_code == 404


def test_setup_checkout_redirects_to_a_setup_session(logged_in, plans, hosted):
    response = logged_in.get(reverse("go-to-setup-checkout"))

    assert response.status_code == 302
    session = hosted.get(response["Location"].rsplit("/", 1)[1])
    assert session["mode"] == "setup"


def test_setup_checkout_for_a_subscription_keeps_it_in_the_setup_intent(logged_in, user, plans, hosted):
    subscription = subscribe(user, plans["prices"][0])

    response = logged_in.get(reverse("go-to-setup-checkout", args=[subscription.id]))

    session = hosted.get(response["Location"].rsplit("/", 1)[1])
    assert hosted.get(session["setup_intent"])["metadata"] == {"subscription_id": subscription.id}


def test_setup_checkout_for_another_users_subscription_is_404(logged_in, make_user, plans, hosted):
    other = make_user("bob")
    subscription = subscribe(other, plans["prices"][0])

    assert logged_in.get(reverse("go-to-setup-checkout", args=[subscription.id])).status_code == 404


def test_billing_portal_redirects_to_the_fakes_portal(logged_in, user, plans, hosted):
    response = logged_in.get(reverse("go-to-billing-portal"))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{FAKE_URL}/p/session/bps_")
    user.refresh_from_db()
    assert hosted.get(response["Location"].rsplit("/", 1)[1])["customer"] == user.stripe_customer_id


def test_stripe_failure_shows_its_message_not_a_server_error(logged_in, plans, hosted, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    logged_in.get(reverse("subscription-portal"))  # nothing to do with Stripe
    hosted.fail_next(5, status=500)

    response = logged_in.get(reverse("go-to-billing-portal"))

    assert response.status_code == 502
    assert b'role="alert"' in response.content
