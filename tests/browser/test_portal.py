"""The self-hosted checkout and portal in a real browser: subscribe, see it active (through the webhook),
cancel at period end, resume, change the card, and see it end when the period runs out; a declined card
shows Stripe's message."""

import re

import pytest

from django_stripe.models import Subscription, WebhookEvent

from .conftest import fill_card, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown_date(moment) -> str:
    """A date as the portal's template shows it."""
    from django.template.defaultfilters import date

    return date(moment, "j M Y")


def test_subscribe_cancel_resume_and_change_card(page, shop, customer, screenshots):
    from playwright.sync_api import expect

    base = shop["url"]
    log_in(page, base, customer)

    cards = page.locator(".ds-price-card")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text("Starter")
    expect(cards.nth(1)).to_contain_text("$15.00 / month")
    expect(cards.nth(2)).to_contain_text("Two months free")
    expect(page.get_by_text("4242 4242 4242 4242")).to_be_attached()  # test card hints, test key

    cards.nth(1).click()
    expect(page.get_by_label("Name on card")).to_have_value("Jenny Rosen")
    fill_card(page, "4242 4242 4242 4242")
    screenshots(page, "01-checkout", readme_name="checkout")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshots(page, "02-checkout-phone")
    page.set_viewport_size({"width": 1100, "height": 900})

    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{base}/subscriptions/")

    panel = page.locator("[data-ds-subscription]")
    expect(panel.locator("[data-ds-status]")).to_have_text("Active")
    expect(panel).to_contain_text("Renews on")
    expect(panel).to_contain_text("Pro · $15.00 / month")
    expect(panel.locator("[data-ds-payment-method]")).to_contain_text("Visa ending in 4242")
    expect(page.locator(".ds-table tbody tr")).to_have_count(1)
    expect(page.locator(".ds-table")).to_contain_text("$15.00")
    expect(page.get_by_role("link", name="View invoice")).to_have_attribute("href", re.compile(r"^https?://"))
    screenshots(page, "03-portal", readme_name="portal")

    # The webhooks reached the app: the subscription's events were delivered, verified and processed.
    subscription = Subscription.objects.get()
    assert subscription.status == "active"
    delivered = {d.event_type for d in shop["fake"].deliveries if d.ok}
    assert {"customer.subscription.created", "invoice.paid", "payment_method.attached"} <= delivered
    assert WebhookEvent.objects.filter(type="customer.subscription.created", status="processed").exists()

    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_role("button", name="Resume subscription")).to_be_visible()
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end and subscription.status == "active"
    period_end = shown_date(subscription.current_period_end)  # it ends when the period paid for does
    expect(panel.locator("[data-ds-ends]")).to_have_text(period_end)
    expect(panel).to_contain_text(f"You keep access until {period_end}")
    screenshots(page, "04-portal-cancelled")

    page.get_by_role("button", name="Resume subscription").click()
    expect(panel).to_contain_text("Renews on")
    expect(page.get_by_role("button", name="Cancel subscription")).to_be_visible()
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end

    page.get_by_role("button", name="Change payment method").click()
    form = page.locator("[data-ds-card-form]")
    fill_card(page, "5555 5555 5555 4444", scope=form)
    form.get_by_role("button", name="Save card").click()
    expect(panel.locator("[data-ds-payment-method]")).to_contain_text("Mastercard ending in 4444")
    screenshots(page, "05-portal-new-card")

    # Cancelled again, then the period runs out at the fake Stripe: its webhooks end the subscription here.
    page.get_by_role("button", name="Cancel subscription").click()
    expect(panel.locator("[data-ds-ends]")).to_have_text(period_end)
    subscription.refresh_from_db()
    ends = subscription.current_period_end
    shop["fake"].advance_clock(int(ends.timestamp()) - shop["fake"].now() + 60)
    page.reload()
    expect(page.get_by_text("You have no subscription")).to_be_visible()
    expect(page.locator("[data-ds-subscription]")).to_have_count(0)
    expect(page.locator(".ds-list")).to_contain_text(f"Django Stripe Pro · $15.00 / month · Cancelled on {period_end}")
    subscription.refresh_from_db()
    assert subscription.status == "canceled" and subscription.ended_at == ends
    screenshots(page, "07-portal-ended")
    assert page.errors == []


def test_a_declined_card_shows_stripes_message(page, shop, customer, screenshots):
    from playwright.sync_api import expect

    base = shop["url"]
    log_in(page, base, customer)

    fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("button", name="Subscribe").click()

    alert = page.locator("form [role=alert]")
    expect(alert).to_have_text("Your card was declined.")
    expect(page.get_by_role("button", name="Subscribe")).to_be_enabled()
    assert page.url == f"{base}/"
    screenshots(page, "06-checkout-declined")
    assert not Subscription.objects.exists()
    assert page.errors == []
