"""What the browser's Stripe.js (or the fake's stand-in) may do at the fake: the script itself, confirming a
SetupIntent with the publishable key and client secret, and nothing else with a publishable key."""

import json
import threading
import time
from urllib.parse import urlencode

import pytest

from django_stripe.testing.fake import FakeStripe

SECRET = {"Authorization": "Bearer sk_test_x"}


@pytest.fixture
def fake():
    return FakeStripe()


def call(fake, method, path, params=None, headers=None):
    status, response_headers, body = fake.handle(method, path, headers or {}, urlencode(params or {}))
    return status, response_headers, json.loads(body)


def setup_intent(fake):
    _, _, customer = call(fake, "POST", "/v1/customers", {"email": "a@example.com"}, SECRET)
    _, _, intent = call(fake, "POST", "/v1/setup_intents", {"customer": customer["id"]}, SECRET)
    return intent


def confirm_with_card(fake, intent, number, secret=None):
    return call(
        fake,
        "POST",
        f"/v1/setup_intents/{intent['id']}/confirm",
        {
            "key": "pk_test_browser",
            "client_secret": secret or intent["client_secret"],
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2034",
            "payment_method_data[billing_details][name]": "Jenny Rosen",
            "payment_method_data[billing_details][address][country]": "FR",
        },
    )


def test_the_script_is_served_at_v3(fake):
    status, headers, body = fake.handle("GET", "/v3/")
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert "confirmCardSetup" in body and "redirectToCheckout" in body


def test_a_typed_card_confirms_the_setup_intent_with_the_publishable_key(fake):
    intent = setup_intent(fake)

    status, headers, confirmed = confirm_with_card(fake, intent, "4242424242424242")

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert confirmed["status"] == "succeeded"
    payment_method = fake.get(confirmed["payment_method"])
    assert payment_method["customer"] == intent["customer"]
    assert payment_method["card"]["last4"] == "4242"
    assert payment_method["billing_details"]["name"] == "Jenny Rosen"


def test_a_declined_card_answers_stripes_card_error(fake):
    status, _, body = confirm_with_card(fake, setup_intent(fake), "4000000000000002")

    assert status == 402
    assert body["error"]["code"] == "card_declined"
    assert body["error"]["message"] == "Your card was declined."


def test_the_client_secret_must_match(fake):
    intent = setup_intent(fake)
    status, _, body = confirm_with_card(fake, intent, "4242424242424242", secret=f"{intent['id']}_secret_wrong")
    assert status == 404
    assert fake.get(intent["id"])["status"] == "requires_payment_method"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/customers"), ("POST", "/v1/subscriptions")])
def test_a_publishable_key_cannot_do_anything_else(fake, method, path):
    status, _, body = call(fake, method, path, {"key": "pk_test_browser"})
    assert status == 401
    assert "publishable API key" in body["error"]["message"]


def test_a_live_publishable_key_is_refused(fake):
    status, _, _ = call(fake, "POST", "/v1/payment_methods", {"key": "pk_live_x", "type": "card"})
    assert status == 401


def test_background_delivery_answers_first_and_delivers_in_order(fake):
    received = []
    answered = threading.Event()

    def endpoint(body, headers):
        answered.wait(5)  # the endpoint is slower than the API, whatever the scheduler does
        received.append(json.loads(body)["type"])
        return 200

    fake.add_webhook_endpoint(endpoint, "whsec_x")
    fake.delivery_mode = "background"
    intent = setup_intent(fake)
    assert received == []  # the API answered before its events were delivered
    answered.set()

    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert received == ["customer.created", "setup_intent.created"]
    assert intent["status"] == "requires_payment_method"
