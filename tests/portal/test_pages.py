"""The self-hosted checkout and subscription pages render what they should, from the mirror."""

import json

import pytest
from django.urls import reverse

from django_stripe import payments
from django_stripe.portal import format_amount, format_interval, stripe_js_url

from .conftest import PUBLISHABLE_KEY, subscribe


def config_of(response):
    opening = '<script id="django-stripe-config" type="application/json">'
    html = response.content.decode()
    start = html.index(opening) + len(opening)
    return json.loads(html[start : html.index("</script>", start)])


def test_checkout_shows_the_default_products_prices_with_their_metadata(logged_in, plans):
    response = logged_in.get(reverse("subscription-portal"))

    assert response.status_code == 200
    prices = response.context["prices"]
    assert [p["id"] for p in prices] == plans["prices"]
    assert [(p["header"], p["label"]) for p in prices] == [
        ("Starter", "$5.00 / month"),
        ("Pro", "$15.00 / month"),
        ("Pro yearly", "$150.00 / year"),
    ]
    assert prices[1]["additional_info"] == "For growing teams"
    assert prices[1]["more_additional_info"] == "Unlimited projects, priority support"
    html = response.content.decode()
    for text in ("Django Stripe Pro", "Starter", "For individuals", "Two months free", "$150.00"):
        assert text in html
    assert response.context["selected_price"] == plans["prices"][0]
    assert response.context["billing_name"] == "Alice Liddell"


def test_checkout_preselects_the_price_asked_for(logged_in, plans):
    response = logged_in.get(reverse("subscription-portal"), {"price": plans["prices"][2]})
    assert response.context["selected_price"] == plans["prices"][2]


def test_checkout_gives_its_script_the_key_and_the_api_urls(logged_in, plans, settings):
    settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE = True

    config = config_of(logged_in.get(reverse("subscription-portal")))

    assert config == {
        "publishableKey": PUBLISHABLE_KEY,
        "hidePostalCode": True,
        "urls": {
            "setupIntents": reverse("setup-intents"),
            "subscriptions": reverse("subscriptions"),
            "history": reverse("subscription-history"),
            "portal": reverse("subscription-portal"),
            "success": reverse("subscription-history"),
        },
    }


@pytest.mark.parametrize(
    ("key", "dev_mode", "shown"),
    [("pk_test_abc", True, True), ("pk_test_abc", False, False), ("pk_live_abc", True, False)],
)
def test_test_cards_only_in_dev_mode_with_a_test_key(logged_in, plans, settings, key, dev_mode, shown):
    settings.STRIPE_PUBLISHABLE_KEY = key
    settings.STRIPE_CHECKOUT_DEV_MODE = dev_mode

    response = logged_in.get(reverse("subscription-portal"))

    assert response.context["show_test_cards"] is shown
    assert ("4242 4242 4242 4242" in response.content.decode()) is shown
    assert ("Test mode" in response.content.decode()) is key.startswith("pk_test_")


@pytest.mark.parametrize(("dev_mode", "shown"), [("True", True), ("1", True), ("False", False), ("off", False)])
def test_dev_mode_given_as_a_string(logged_in, plans, settings, dev_mode, shown):
    # The seed documents STRIPE_CHECKOUT_DEV_MODE as a string: "False" must hide the test cards.
    settings.STRIPE_CHECKOUT_DEV_MODE = dev_mode

    response = logged_in.get(reverse("subscription-portal"))

    assert response.context["show_test_cards"] is shown
    assert ("4242 4242 4242 4242" in response.content.decode()) is shown


@pytest.mark.parametrize(("hide", "hidden"), [("True", True), ("yes", True), ("False", False), ("0", False)])
def test_hide_postal_code_given_as_a_string(logged_in, plans, settings, hide, hidden):
    settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE = hide

    response = logged_in.get(reverse("subscription-portal"))

    assert response.context["hide_postal_code"] is hidden
    assert config_of(response)["hidePostalCode"] is hidden


@pytest.mark.parametrize(
    ("header_value", "expected"), [("FR", "FR"), ("de", "DE"), ("XX", "CA"), ("T1", "CA"), (None, "CA")]
)
def test_billing_country_from_the_header_then_the_setting(logged_in, plans, settings, header_value, expected):
    settings.COUNTRY_HEADER = "HTTP_CF_IPCOUNTRY"
    settings.STRIPE_CHECKOUT_DEFAULT_COUNTRY = "CA"
    headers = {"HTTP_CF_IPCOUNTRY": header_value} if header_value else {}

    response = logged_in.get(reverse("subscription-portal"), **headers)

    assert response.context["country"] == expected
    assert f'<option value="{expected}" selected>' in response.content.decode()


@pytest.mark.parametrize("header_name", ["CF-IPCountry", "cf-ipcountry", "CF_IPCOUNTRY"])
def test_country_header_given_by_its_http_name(logged_in, plans, settings, header_name):
    settings.COUNTRY_HEADER = header_name
    settings.STRIPE_CHECKOUT_DEFAULT_COUNTRY = "CA"

    assert logged_in.get(reverse("subscription-portal"), headers={"CF-IPCountry": "fr"}).context["country"] == "FR"
    assert logged_in.get(reverse("subscription-portal"), headers={"CF-IPCountry": "XX"}).context["country"] == "CA"
    assert logged_in.get(reverse("subscription-portal")).context["country"] == "CA"


@pytest.mark.parametrize(
    ("setting", "expected"), [("gb", "GB"), (" DE ", "DE"), ("ZZ", "US"), ("USA", "US"), ("", "US")]
)
def test_default_country_setting_is_used_only_when_it_is_a_country(logged_in, plans, settings, setting, expected):
    settings.STRIPE_CHECKOUT_DEFAULT_COUNTRY = setting

    response = logged_in.get(reverse("subscription-portal"))

    assert response.context["country"] == expected
    assert f'<option value="{expected}" selected>' in response.content.decode()


def test_country_header_is_ignored_unless_configured(logged_in, plans):
    response = logged_in.get(reverse("subscription-portal"), HTTP_CF_IPCOUNTRY="FR")
    assert response.context["country"] == "US"


def test_stripe_js_comes_from_the_fake_when_the_api_base_points_at_it(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111/"
    assert stripe_js_url() == "http://127.0.0.1:12111/v3/"
    settings.STRIPE_API_BASE = None
    assert stripe_js_url() == "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    assert stripe_js_url() == "https://js.stripe.com/v3/"
    settings.STRIPE_JS_URL = "/static/stripe.js"
    assert stripe_js_url() == "/static/stripe.js"


def test_checkout_loads_stripe_js_and_the_portal_script(logged_in, plans, settings):
    html = logged_in.get(reverse("subscription-portal")).content.decode()
    assert f'<script src="{stripe_js_url()}"></script>' in html
    assert "django_stripe/portal.js" in html
    assert 'role="alert"' in html


def test_checkout_of_a_subscribed_user_links_to_the_portal(logged_in, user, plans):
    subscribe(user, plans["prices"][0])

    html = logged_in.get(reverse("subscription-portal")).content.decode()

    assert "You are subscribed" in html
    assert reverse("subscription-history") in html
    assert "data-ds-checkout" not in html


def test_checkout_without_publishable_key_says_so(logged_in, plans, settings):
    settings.STRIPE_PUBLISHABLE_KEY = None
    html = logged_in.get(reverse("subscription-portal")).content.decode()
    assert "STRIPE_PUBLISHABLE_KEY" in html
    assert "portal.js" not in html


def test_history_without_subscription_offers_the_plans(logged_in, plans):
    response = logged_in.get(reverse("subscription-history"))

    assert response.status_code == 200
    assert response.context["subscription"] is None
    assert "You have no subscription" in response.content.decode()


def test_history_shows_status_renewal_card_and_invoices(logged_in, user, plans):
    created = subscribe(user, plans["prices"][1])

    response = logged_in.get(reverse("subscription-history"))

    subscription = response.context["subscription"]
    assert subscription["id"] == created.id
    assert subscription["status_label"] == "Active"
    assert subscription["product_name"] == "Django Stripe Pro"
    assert subscription["price"]["label"] == "$15.00 / month"
    assert subscription["renews_at"] is not None and subscription["ends_at"] is None
    assert subscription["can_cancel"] and not subscription["can_resume"]
    assert response.context["payment_method"]["last4"] == "4242"
    [invoice] = response.context["invoices"]
    assert invoice["amount"] == "$15.00"
    assert invoice["status"] == "paid"
    html = response.content.decode()
    for text in ("Renews on", "Visa", "ending in 4242", "Cancel subscription", invoice["hosted_invoice_url"]):
        assert text in html


def test_history_of_a_subscription_cancelled_at_period_end(logged_in, user, plans):
    created = subscribe(user, plans["prices"][0])
    payments.cancel_subscription_at_period_end(user, created.id)

    response = logged_in.get(reverse("subscription-history"))

    subscription = response.context["subscription"]
    assert subscription["ends_at"] is not None and subscription["renews_at"] is None
    assert subscription["can_resume"] and not subscription["can_cancel"]
    html = response.content.decode()
    assert "Ends on" in html and "Resume subscription" in html


def test_history_lists_an_ended_subscription_as_past(logged_in, user, plans):
    created = subscribe(user, plans["prices"][0])
    payments.cancel_subscription(user, created.id)

    response = logged_in.get(reverse("subscription-history"))

    assert response.context["subscription"] is None
    [past] = response.context["past_subscriptions"]
    assert past["id"] == created.id and past["status_label"] == "Cancelled"
    # Its items were tombstoned with it: the page still says what it was.
    assert (past["product_name"], past["price"]["label"]) == ("Django Stripe Pro", "$5.00 / month")
    assert "Django Stripe Pro · $5.00 / month" in response.content.decode()


def test_history_never_shows_another_users_subscription(logged_in, make_user, plans):
    subscribe(make_user("bob"), plans["prices"][0])

    response = logged_in.get(reverse("subscription-history"))

    assert response.context["subscription"] is None
    assert response.context["invoices"] == []


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(1000, "usd", "$10.00"), (123456, "eur", "€1,234.56"), (500, "jpy", "¥500"), (990, "chf", "9.90 CHF")],
)
def test_format_amount(amount, currency, expected):
    assert format_amount(amount, currency) == expected


def test_format_interval():
    assert format_interval({"interval": "month", "interval_count": 1}) == "month"
    assert format_interval({"interval": "month", "interval_count": 3}) == "3 months"
    assert format_interval(None) == ""
