"""The pages before Stripe's hosted pages in a real browser: opening one creates nothing; its button posts the
form (with Django's CSRF token, from the browser's own cookie) and lands on the fake Stripe's hosted page."""

import re

import pytest

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checkout_then_billing_portal_through_their_buttons(page, shop, customer, screenshots):
    from playwright.sync_api import expect

    base = shop["url"]
    log_in(page, base, customer)

    page.goto(f"{base}/checkout/{shop['prices'][1]}/")
    expect(page.get_by_role("heading", name="Subscribe")).to_be_visible()
    expect(page.locator("[data-ds-price]")).to_contain_text("$15.00 / month")
    customer.refresh_from_db()
    assert customer.stripe_customer_id is None  # the page alone asked Stripe for nothing
    screenshots(page, "08-go-to-checkout")

    page.get_by_role("button", name="Continue to checkout").click()
    page.wait_for_url(re.compile(r"/c/pay/cs_test_"))
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{base}/subscriptions/")
    expect(page.locator("[data-ds-subscription] [data-ds-status]")).to_have_text("Active")
    screenshots(page, "09-portal-billing-button")

    page.get_by_role("button", name="Manage billing on Stripe").click()
    page.wait_for_url(re.compile(r"/p/session/bps_"))
    expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
    customer.refresh_from_db()
    assert shop["fake"].get(page.url.rsplit("/", 1)[1])["customer"] == customer.stripe_customer_id
    assert page.errors == []
