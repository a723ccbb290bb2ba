"""Events of another mode or of a connected account, over real HTTP: signed requests to the webhook endpoint of
a live server, and REST reads by a logged-in browser.

Before the fix, the endpoint applied any event a configured secret verified: with a test-mode (or Connect)
endpoint secret listed beside the live one, test objects and connected accounts' objects entered the live
mirror, and every read (access included) ignored `livemode`.
"""

from __future__ import annotations

import json
import logging

import pytest

from django_stripe import payments
from django_stripe.models import MIRRORED_MODELS, Customer, Product, Subscription, WebhookEvent
from django_stripe.testing.factories import (
    CustomerPayloadFactory,
    PricePayloadFactory,
    ProductPayloadFactory,
    SubscriptionPayloadFactory,
)
from tests.billables import billable_of, create_user, give_customer
from tests.webhooks.conftest import SECRET, event, post, sign

from .attacks import log_in

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_KEY, TEST_KEY = "sk_live_security_mode", "sk_test_security_mode"
PASSWORD = "pw-foreign-mode"


@pytest.fixture
def endpoint(web_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = [SECRET, "whsec_the_other_modes_endpoint"]
    return web_server.url + "/api/webhook/"


def send(endpoint: str, payload: dict):
    body = json.dumps(payload).encode()
    return post(endpoint, body, {"Stripe-Signature": sign(body)})


def in_mode(livemode: bool, event_type: str, obj: dict, **fields) -> dict:
    """An event of that mode whose object is of that mode too, as Stripe sends them."""
    return {**event(event_type, {**obj, "livemode": livemode}), "livemode": livemode, **fields}


def assert_nothing_stored():
    assert WebhookEvent.objects.count() == 0
    assert all(model.objects.count() == 0 for model in MIRRORED_MODELS)


@pytest.mark.parametrize(("key", "foreign_livemode"), [(LIVE_KEY, False), (TEST_KEY, True)], ids=["live", "test"])
def test_an_event_of_the_other_mode_is_refused_and_stored_nowhere(endpoint, settings, caplog, key, foreign_livemode):
    settings.STRIPE_SECRET_KEY = key
    foreign = in_mode(foreign_livemode, "customer.created", CustomerPayloadFactory())

    with caplog.at_level(logging.WARNING, logger="django_stripe.webhooks.views"):
        response = send(endpoint, foreign)

    assert (response.status, response.body) == (400, "event livemode does not match the API key's mode")
    assert_nothing_stored()
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(foreign["id"] in message for message in warnings)
    assert not any(secret in caplog.text for secret in (SECRET, key, "whsec_", "sk_"))

    # The key's own mode is applied.
    own = in_mode(not foreign_livemode, "customer.created", CustomerPayloadFactory(email="own@example.com"))
    assert send(endpoint, own).status == 200
    assert WebhookEvent.objects.get().livemode is (not foreign_livemode)
    assert Customer.objects.get().email == "own@example.com"


def test_without_a_key_no_mode_is_known_and_both_modes_are_accepted(endpoint, settings):
    settings.STRIPE_SECRET_KEY = None

    for livemode in (False, True):
        assert send(endpoint, in_mode(livemode, "customer.created", CustomerPayloadFactory())).status == 200

    assert sorted(WebhookEvent.objects.values_list("livemode", flat=True)) == [False, True]


def test_a_connected_accounts_event_cannot_overwrite_the_platforms_catalogue(endpoint, settings):
    settings.STRIPE_SECRET_KEY = LIVE_KEY
    gold = ProductPayloadFactory(name="Gold")
    assert send(endpoint, in_mode(True, "product.created", gold)).status == 200

    hijack = in_mode(True, "product.updated", {**gold, "name": "Hijacked"}, account="acct_connected")
    hijack["created"] += 10  # newer than the platform's state: the guarded upsert would take it
    response = send(endpoint, hijack)

    assert (response.status, response.body) == (400, "events of connected accounts are not accepted")
    assert Product.objects.get().name == "Gold"
    assert not WebhookEvent.objects.filter(id=hijack["id"]).exists()

    # A project that mirrors its connected accounts on purpose says so.
    settings.STRIPE_CONNECT_EVENTS = True
    assert send(endpoint, hijack).status == 200
    assert Product.objects.get().name == "Hijacked"


def api_get(web_server, path: str, username: str):
    return log_in(web_server.url, username, PASSWORD).get(f"{web_server.url}/api/{path}")


def test_a_live_subscription_gives_no_access_and_is_not_readable_under_a_test_key(endpoint, web_server, settings):
    # The live mirror holds a paying customer: delivered under the live key.
    settings.STRIPE_SECRET_KEY = LIVE_KEY
    price = PricePayloadFactory(livemode=True)
    subscription = SubscriptionPayloadFactory(customer="cus_live_payer", price=price)
    assert send(endpoint, in_mode(True, "customer.subscription.created", subscription)).status == 200
    user = create_user("payer", "payer@example.com", PASSWORD)
    give_customer(user, "cus_live_payer")
    assert payments.is_subscribed(billable_of(user), price["product"]) is True
    assert api_get(web_server, f"subscriptions/{subscription['id']}/", "payer").status_code == 200

    # The same database under a test key (staging pointed at a copy, a key switched back): live rows are not its.
    settings.STRIPE_SECRET_KEY = TEST_KEY
    assert Subscription.objects.get().livemode is True
    assert payments.is_subscribed(billable_of(user), price["product"]) is False
    assert payments.is_subscribed_and_cancelled_time(billable_of(user), price["product"])["sub_id"] is None
    assert api_get(web_server, f"subscriptions/{subscription['id']}/", "payer").status_code == 404
    listed = api_get(web_server, "subscriptions/", "payer")
    assert listed.status_code == 200 and subscription["id"] not in listed.text
