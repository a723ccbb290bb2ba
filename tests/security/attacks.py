"""What the attacks share: users logged in to the live server as a browser is (the login form, the session
cookie, the CSRF token), and the shop's prices, cards and subscriptions at the fake Stripe."""

from __future__ import annotations

import re

import requests

from django_stripe.client import get_client
from tests.billables import billable_of, create_user

SECRET = "whsec_security"
PASSWORD = "correct-horse-battery"
DAY = 86_400
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def new_price(product_id: str, unit_amount: int, interval: str = "month", **params) -> str:
    """A recurring price of `product_id` at the fake (mirrored by its webhook); its id."""
    params = {"product": product_id, "currency": "usd", "unit_amount": unit_amount, **params}
    return get_client().v1.prices.create(params={**params, "recurring": {"interval": interval}}).id


class Browser(requests.Session):
    """A logged-in user's browser: its session cookie authenticates, and every write carries the CSRF token
    from the cookie in `X-CSRFToken`, as the portal's script sends it."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        if method.upper() not in ("GET", "HEAD", "OPTIONS") and "csrftoken" in self.cookies:
            kwargs.setdefault("headers", {})["X-CSRFToken"] = self.cookies["csrftoken"]
        return super().request(method, url, *args, **kwargs)


def log_in(site_url: str, username: str, password: str = PASSWORD) -> Browser:
    """Log in through REST framework's login page, as a person would."""
    browser = Browser(f"{site_url}/api")
    page = browser.get(f"{site_url}/api-auth/login/")
    token = CSRF_FIELD.search(page.text).group(1)
    answer = browser.post(
        f"{site_url}/api-auth/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/api/products/"},
        headers={"Referer": f"{site_url}/api-auth/login/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    return browser


def api_user(shop, username="mallory"):
    """A user, and their browser logged in to the site."""
    user = create_user(username, f"{username}@example.com", PASSWORD)
    return user, log_in(shop["url"], username)


def subscribe(session, **body):
    return session.post(f"{session.base}/subscriptions/", json=body)


def add_card(session, card: str = "pm_card_visa") -> str:
    """Save a card as the checkout page does: a SetupIntent of the API, confirmed with a test card."""
    setup_intent = session.post(f"{session.base}/setup-intents/").json()
    confirmed = get_client().v1.setup_intents.confirm(setup_intent["id"], params={"payment_method": card})
    return confirmed.payment_method


def subscriptions_at_stripe(user, status: str = "all") -> list:
    user.refresh_from_db()
    if not billable_of(user).stripe_customer_id:
        return []
    listed = get_client().v1.subscriptions.list(
        params={"customer": billable_of(user).stripe_customer_id, "status": status}
    )
    return listed.data


def open_checkout(session, price: str) -> dict:
    """`POST /api/checkout/<price>/`: the session's `id` and hosted `url`."""
    answer = session.post(f"{session.base}/checkout/{price}/")
    assert answer.status_code == 201, answer.text
    return answer.json()


def pay_on_checkout_page(checkout: dict, card: str = "pm_card_visa") -> bool:
    """The buyer submits the hosted Checkout page (the fake's, over HTTP); True when it completed."""
    answer = requests.post(checkout["url"], data={"payment_method": card}, allow_redirects=False, timeout=30)
    return answer.status_code == 303
