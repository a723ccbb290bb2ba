"""The endpoint over real HTTP: only genuine Stripe events are stored; everything else is a 400 and no row."""

import json
import time

import pytest

from django_stripe.models import MIRRORED_MODELS, Customer, WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory

from .conftest import SECRET, event, post, sign

pytestmark = pytest.mark.django_db(transaction=True)


def assert_nothing_stored():
    assert WebhookEvent.objects.count() == 0
    assert all(model.objects.count() == 0 for model in MIRRORED_MODELS)


def customer_event(**kwargs):
    return event("customer.created", CustomerPayloadFactory(**kwargs))


def test_a_signed_event_is_stored_processed_and_answered_200(deliver):
    payload = customer_event(email="paid@example.com")
    response = deliver.send(payload)
    assert (response.status, response.body) == (200, "ok")
    stored = WebhookEvent.objects.get()
    assert (stored.id, stored.type, stored.status, stored.attempts) == (
        payload["id"],
        "customer.created",
        "processed",
        1,
    )
    assert Customer.objects.get().email == "paid@example.com"


def test_a_duplicate_delivery_answers_200_and_is_not_processed_again(deliver):
    payload = customer_event()
    assert deliver.send(payload).status == 200
    assert deliver.send(payload).status == 200
    assert WebhookEvent.objects.get().attempts == 1


def test_every_configured_secret_is_tried_while_rotating(deliver, settings):
    settings.STRIPE_WEBHOOK_SECRET = ["whsec_old", SECRET]
    assert deliver.send(customer_event()).status == 200
    assert deliver.send(customer_event(), secret="whsec_old").status == 200
    assert WebhookEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("make_headers", "reason"),
    [
        (lambda body: {}, "missing signature"),
        (lambda body: {"Stripe-Signature": sign(body, "whsec_forged")}, "bad signature"),
        (lambda body: {"Stripe-Signature": sign(body + b" ")}, "bad signature"),
        (lambda body: {"Stripe-Signature": sign(body, timestamp=int(time.time()) - 301)}, "tolerance"),
        (lambda body: {"Stripe-Signature": "garbage"}, "malformed signature header"),
    ],
    ids=["unsigned", "forged", "tampered", "stale", "malformed-header"],
)
def test_requests_that_are_not_from_stripe_get_400_and_store_nothing(web_server, webhook_secret, make_headers, reason):
    body = json.dumps(customer_event()).encode()
    response = post(web_server.url + "/api/webhook/", body, make_headers(body))
    assert response.status == 400
    assert reason in response.body
    assert_nothing_stored()


def test_a_tampered_body_under_a_valid_signature_is_refused(web_server, webhook_secret):
    original = json.dumps(customer_event(email="a@example.com")).encode()
    tampered = original.replace(b"a@example.com", b"b@example.com")
    response = post(web_server.url + "/api/webhook/", tampered, {"Stripe-Signature": sign(original)})
    assert response.status == 400
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"object": "list"}', "not a Stripe event"),
        (b"[1, 2]", "not a Stripe event"),
    ],
)
def test_signed_bodies_that_are_not_events_get_400(web_server, webhook_secret, body, reason):
    response = post(web_server.url + "/api/webhook/", body, {"Stripe-Signature": sign(body)})
    assert (response.status, response.body) == (400, reason)
    assert_nothing_stored()


def test_an_oversized_body_gets_400(web_server, webhook_secret, settings):
    settings.STRIPE_WEBHOOK_MAX_BODY_BYTES = 2048
    payload = customer_event()
    payload["data"]["object"]["metadata"] = {"padding": "x" * 4096}
    body = json.dumps(payload).encode()
    response = post(web_server.url + "/api/webhook/", body, {"Stripe-Signature": sign(body)})
    assert (response.status, response.body) == (400, "body too large")
    assert_nothing_stored()


def test_only_post_is_allowed(web_server, webhook_secret):
    assert post(web_server.url + "/api/webhook/", b"", method="GET").status == 405
    assert_nothing_stored()


def test_without_a_configured_secret_stripe_is_asked_to_retry(web_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = None
    body = json.dumps(customer_event()).encode()
    response = post(web_server.url + "/api/webhook/", body, {"Stripe-Signature": sign(body)})
    assert response.status == 500
    assert_nothing_stored()


def test_an_unknown_event_type_is_kept_and_marked_ignored(deliver):
    assert deliver.send(event("radar.early_fraud_warning.created", {"id": "issfr_1", "object": "x"})).status == 200
    assert WebhookEvent.objects.get().status == "ignored"


def test_secrets_and_signatures_are_never_logged(web_server, webhook_secret, caplog):
    caplog.set_level("DEBUG")
    body = json.dumps(customer_event()).encode()
    header = sign(body, "whsec_forged")
    post(web_server.url + "/api/webhook/", body, {"Stripe-Signature": header})
    header_digest = header.split("v1=")[1]
    assert SECRET not in caplog.text and header_digest not in caplog.text and "whsec_" not in caplog.text
