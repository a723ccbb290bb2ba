"""The pages before Stripe's hosted pages: login first; GET shows a button and creates nothing at Stripe; the
button's POST (with the CSRF token) creates the session and redirects (303) to the page the fake Stripe hosts."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from django_stripe.models import Subscription

from .conftest import subscribe

FAKE_URL = "http://127.0.0.1:12111"

GO_TO = [
    ("go-to-checkout", {"price_id": "price_123"}),
    ("go-to-setup-checkout", {}),
    ("go-to-setup-checkout", {"subscription_id": "sub_123"}),
    ("go-to-billing-portal", {}),
]
ROUTES = [*GO_TO, ("subscription-portal", {}), ("subscription-history", {})]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), ROUTES)
def test_anonymous_users_are_sent_to_login(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{django_settings.LOGIN_URL}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), GO_TO)
def test_anonymous_posts_are_sent_to_login_too(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    assert client.post(url)["Location"] == f"{django_settings.LOGIN_URL}?next={url}"


@pytest.fixture
def hosted(plans, synced_fake):
    synced_fake.public_url = FAKE_URL
    return synced_fake


def session_of(hosted, response):
    """The fake's session a 303 redirects to."""
    assert response.status_code == 303
    return hosted.get(response["Location"].rsplit("/", 1)[1])


def go_to_urls(plans, subscription_id):
    return [
        reverse("go-to-checkout", args=[plans["prices"][1]]),
        reverse("go-to-setup-checkout"),
        reverse("go-to-setup-checkout", args=[subscription_id]),
        reverse("go-to-billing-portal"),
    ]


def posted_form(html: str, marker: str = "") -> tuple[str, str]:
    """The action of the page's one POST form (the one whose tag holds `marker`) and the CSRF token in it."""
    forms = re.findall(r'<form\b([^>]*\bmethod="post"[^>]*)>(.*?)</form>', html, re.S)
    [(tag, body)] = [form for form in forms if marker in form[0]]
    form = (re.search(r'\baction="([^"]*)"', tag)[1], body)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[1])
    assert token, "the form carries no CSRF token"
    return form[0], token[1]


def test_get_shows_a_button_and_makes_no_call_to_stripe(logged_in, user, make_user, plans, hosted):
    # Another user's subscription, so that the setup page for a subscription has a real id to show.
    other_subscription = subscribe(make_user("bob"), plans["prices"][0])
    events = len(hosted.events)
    hosted.fail_next(1)  # taken by the first call to Stripe, if any

    for url in go_to_urls(plans, other_subscription.id):
        response = logged_in.get(url)
        assert response.status_code == 200, url
        assert posted_form(response.content.decode())[0] == url
        assert response["X-Frame-Options"] == "DENY"

    assert hosted.pending_faults() == 1, "a GET called Stripe"
    assert len(hosted.events) == events, "a GET changed something at Stripe"
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_the_checkout_page_shows_the_price(logged_in, plans, hosted):
    response = logged_in.get(reverse("go-to-checkout", args=[plans["prices"][1]]))
    assert b"Continue to checkout" in response.content
    assert re.search(rb"data-ds-price>[^<]*\$15\.00 / month<", response.content)


@pytest.mark.parametrize("index", range(4))
def test_without_the_csrf_token_a_post_is_refused_and_creates_nothing(user, make_user, plans, hosted, index):
    url = go_to_urls(plans, subscribe(make_user("bob"), plans["prices"][0]).id)[index]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    events = len(hosted.events)

    assert browser.post(url).status_code == 403
    assert len(hosted.events) == events
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_the_csrf_check_holds_in_a_project_without_the_csrf_middleware(user, plans, hosted, settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "django.middleware.csrf.CsrfViewMiddleware"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    url = reverse("go-to-billing-portal")

    assert browser.post(url).status_code == 403
    action, token = posted_form(browser.get(url).content.decode())
    assert session_of(hosted, browser.post(action, {"csrfmiddlewaretoken": token}))["customer"]


def test_the_pages_form_posts_with_its_token_and_opens_the_session(user, plans, hosted):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    action, token = posted_form(browser.get(reverse("go-to-checkout", args=[plans["prices"][0]])).content.decode())

    session = session_of(hosted, browser.post(action, {"csrfmiddlewaretoken": token}))

    assert session["mode"] == "subscription"


def test_checkout_redirects_to_the_fakes_hosted_checkout(logged_in, user, plans, hosted):
    price = plans["prices"][1]
    response = logged_in.post(reverse("go-to-checkout", args=[price]))

    assert response["Location"].startswith(f"{FAKE_URL}/c/pay/cs_test_")
    session = session_of(hosted, response)
    assert session["mode"] == "subscription"
    assert session["status"] == "open"
    user.refresh_from_db()
    assert session["customer"] == user.stripe_customer_id
    assert session["client_reference_id"] == str(user.pk)


def test_checkout_page_of_the_redirect_can_be_completed(logged_in, user, plans, hosted):
    response = logged_in.post(reverse("go-to-checkout", args=[plans["prices"][0]]))
    session_id = response["Location"].rsplit("/", 1)[1]

    hosted.complete_checkout_session(session_id)

    user.refresh_from_db()
    subscription = Subscription.objects.get(customer_id=user.stripe_customer_id)
    assert subscription.status == "active"


def test_checkout_of_an_unknown_price_is_404(logged_in, user, plans, hosted):
    url = reverse("go-to-checkout", args=["price_missing"])
    assert logged_in.get(url).status_code == 404
    assert logged_in.post(url).status_code == 404
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_setup_checkout_redirects_to_a_setup_session(logged_in, plans, hosted):
    response = logged_in.post(reverse("go-to-setup-checkout"))

    assert session_of(hosted, response)["mode"] == "setup"


def test_setup_checkout_for_a_subscription_keeps_it_in_the_setup_intent(logged_in, user, plans, hosted):
    subscription = subscribe(user, plans["prices"][0])

    response = logged_in.post(reverse("go-to-setup-checkout", args=[subscription.id]))

    session = session_of(hosted, response)
    assert hosted.get(session["setup_intent"])["metadata"] == {"subscription_id": subscription.id}


def test_setup_checkout_for_another_users_subscription_is_404(logged_in, make_user, plans, hosted):
    other = make_user("bob")
    subscription = subscribe(other, plans["prices"][0])

    assert logged_in.post(reverse("go-to-setup-checkout", args=[subscription.id])).status_code == 404


def test_billing_portal_redirects_to_the_fakes_portal(logged_in, user, plans, hosted):
    response = logged_in.post(reverse("go-to-billing-portal"))

    assert response["Location"].startswith(f"{FAKE_URL}/p/session/bps_")
    user.refresh_from_db()
    assert session_of(hosted, response)["customer"] == user.stripe_customer_id


def test_the_subscription_page_opens_the_billing_portal_by_a_form(user, plans, hosted):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html = browser.get(reverse("subscription-history")).content.decode()
    assert f'href="{reverse("go-to-billing-portal")}"' not in html

    action, token = posted_form(html, "data-ds-billing-portal")  # the example's page adds the demo's form

    assert action == reverse("go-to-billing-portal")
    assert session_of(hosted, browser.post(action, {"csrfmiddlewaretoken": token}))["object"] == (
        "billing_portal.session"
    )


def test_stripe_failure_shows_its_message_not_a_server_error(logged_in, plans, hosted, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    logged_in.get(reverse("subscription-portal"))  # nothing to do with Stripe
    hosted.fail_next(5, status=500)

    response = logged_in.post(reverse("go-to-billing-portal"))

    assert response.status_code == 502
    assert b'role="alert"' in response.content
