"""ATTACK: a cross-site page makes a logged-in user's browser open the go-to pages (`<img src=".../checkout/
price_x/">`, a link, an auto-submitted form). Over real HTTP (a live server, the fake Stripe on its own port): a GET
creates nothing at Stripe and no customer; a POST without the CSRF token is refused; only the page's own form,
posted with its token, creates the Checkout Session and redirects to it.

On the old code the GET created the customer and the session (and a POST was 405), so these tests fail there.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.billables import billable_of, create_user

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_SECRET = "whsec_security_get"
PASSWORD = "victim-password-1"
EVIL = "https://evil.example"
# What a browser sends when another site sends it to our page: a link, `window.location`, or an <img> (whose
# cookies SameSite=Lax holds back in current browsers, not in all): the victim's cookies, and where it came from.
CROSS_SITE_GET = {"Referer": f"{EVIL}/cats.html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
# Objects of these types exist at Stripe only if someone asked for them.
CREATED_BY_THE_VIEWS = ("customer", "checkout.session", "billing_portal.session")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Look at where a response redirects to instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser over real HTTP: a cookie jar, no redirect followed, no proxy."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def open(self, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:  # a redirect (not followed) or an error page
            return error.code, dict(error.headers), error.read().decode()

    def log_in(self, username: str, password: str) -> None:
        """Through the project's login form, as the user would: the jar ends with the session and CSRF cookies."""
        url = self.base_url + django_settings.LOGIN_URL
        status, _, page = self.open(url)
        assert status == 200
        credentials = {"username": username, "password": password, "csrfmiddlewaretoken": token_in(page)}
        status, _, _ = self.open(url, credentials)
        assert status == 302, "the victim could not log in"


def token_in(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


@pytest.fixture
def shop(stripe_fake_server, live_server, settings):
    """The example project on a live server, the fake Stripe over HTTP delivering its webhooks there, so the
    demo catalogue's prices are mirrored (the checkout page reads them)."""
    from django_stripe.client import get_client
    from django_stripe.testing.demo import seed_demo_catalogue

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    stripe_fake_server.add_webhook_endpoint(f"{live_server.url}{reverse('stripe-webhook')}", WEBHOOK_SECRET)
    seeded = seed_demo_catalogue(get_client())
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = seeded["product"].id
    return {"url": live_server.url, "fake": stripe_fake_server, "price": seeded["prices"][0].id}


@pytest.fixture
def victim(shop):
    """A logged-in user's browser."""
    user = create_user("victim", "victim@example.com", PASSWORD)
    browser = Browser(shop["url"])
    browser.log_in(user.get_username(), PASSWORD)
    return user, browser


def at_stripe(fake) -> dict[str, int]:
    """How many objects of each type the views could create exist at the fake Stripe."""
    with fake.locked():
        return {kind: len(list(fake.store.newest_first(kind))) for kind in CREATED_BY_THE_VIEWS}


def go_to_urls(shop) -> list[str]:
    return [
        shop["url"] + reverse("go-to-checkout", args=[shop["price"]]),
        shop["url"] + reverse("go-to-setup-checkout"),
        shop["url"] + reverse("go-to-billing-portal"),
    ]


def test_a_cross_site_get_creates_no_customer_and_no_session(shop, victim):
    user, browser = victim
    before = at_stripe(shop["fake"])
    shop["fake"].fail_next(1)  # the first call to Stripe, if any, takes it

    for url in go_to_urls(shop):
        status, _, page = browser.open(url, headers=CROSS_SITE_GET)
        assert status == 200, url  # the page with the button, not a redirect to Stripe
        assert 'method="post"' in page and "csrfmiddlewaretoken" in page

    assert shop["fake"].pending_faults() == 1, "a GET called Stripe"
    assert at_stripe(shop["fake"]) == before
    user.refresh_from_db()
    assert billable_of(user).stripe_customer_id is None


def test_a_cross_site_post_without_the_csrf_token_is_refused(shop, victim):
    user, browser = victim
    before = at_stripe(shop["fake"])

    for url in go_to_urls(shop):
        # An auto-submitted form of the attacker's. The browser sends the victim's cookies (session and CSRF
        # cookie: the worst case, a browser without SameSite), but the attacker cannot read the token to post.
        status, _, page = browser.open(url, data={"next": "/"})
        assert (status, "CSRF verification failed" in page) == (403, True), url
        status, _, _ = browser.open(url, data={"next": "/"}, headers={"Origin": EVIL, "Referer": f"{EVIL}/"})
        assert status == 403, url

    assert at_stripe(shop["fake"]) == before
    user.refresh_from_db()
    assert billable_of(user).stripe_customer_id is None

    # The token is all that was missing: the same browser posting the page's token is let through.
    for url in go_to_urls(shop):
        _, _, page = browser.open(url)
        status, headers, _ = browser.open(url, data={"csrfmiddlewaretoken": token_in(page)})
        assert status == 303 and headers["Location"].startswith(shop["fake"].public_url), url


def test_the_pages_own_form_with_its_token_opens_the_checkout_session(shop, victim):
    user, browser = victim
    url = go_to_urls(shop)[0]
    _, _, page = browser.open(url)
    action = re.search(r'<form\b[^>]*\baction="([^"]+)"', page)[1]

    status, headers, _ = browser.open(shop["url"] + action, data={"csrfmiddlewaretoken": token_in(page)})

    assert status == 303
    session_id = headers["Location"].rsplit("/", 1)[1]
    assert headers["Location"] == f"{shop['fake'].public_url}/c/pay/{session_id}"
    session = shop["fake"].get(session_id)
    user.refresh_from_db()
    assert session["object"] == "checkout.session" and session["mode"] == "subscription"
    assert billable_of(user).stripe_customer_id and session["customer"] == billable_of(user).stripe_customer_id
    assert at_stripe(shop["fake"])["checkout.session"] == 1
