"""Signature edge cases of the webhook endpoint, over real HTTP (a live server).

tests/webhooks/test_views.py covers the basics (unsigned, forged, tampered, stale, malformed header, two
secrets). Here: a rotation's third secret, the tolerance boundary to the second, a genuine delivery
replayed after the tolerance, several v1 signatures in one header, and the v0 scheme.

The tolerance check of the past is stripe-python's `WebhookSignature.verify_header`: a timestamp `t` is refused
when `t < time.time() - tolerance`, i.e. a delivery whose age is at most the tolerance is accepted. The SDK's
clock is pinned with a patch of `stripe._webhook.time` (that module's name only: nothing else in the
process sees it), so the boundary is tested to the second, not "about 300 s". The endpoint bounds the future
itself (the SDK does not), on the real clock: `now` is the real clock's second when a test starts, so that a
timestamp ahead of it is judged as it would be in production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from unittest import mock

import pytest

from django_stripe.models import WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory
from tests.webhooks.conftest import SECRET, event, post, sign

pytestmark = pytest.mark.django_db(transaction=True)

OLD, NEW, OTHER = "whsec_old_rotating", "whsec_new_rotating", "whsec_never_configured"


def body_of(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def new_event() -> dict:
    return event("customer.created", CustomerPayloadFactory())


@pytest.fixture
def now() -> int:
    """The real clock's second (an exact one, so that "age == tolerance" really is equal)."""
    return int(time.time())


@pytest.fixture
def endpoint(live_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    return live_server.url + "/api/webhook/"


def pinned_clock(now: float):
    """stripe-python's clock (only its webhook module's) reads `now`."""
    clock = mock.Mock(wraps=time)
    clock.time.return_value = now
    return mock.patch("stripe._webhook.time", clock)


def test_while_rotating_both_secrets_verify_and_a_third_does_not(endpoint, settings):
    settings.STRIPE_WEBHOOK_SECRET = [NEW, OLD]
    accepted = [new_event(), new_event()]
    refused = new_event()
    for payload, secret in zip(accepted, [NEW, OLD], strict=True):
        body = body_of(payload)
        assert post(endpoint, body, {"Stripe-Signature": sign(body, secret)}).status == 200
    body = body_of(refused)
    response = post(endpoint, body, {"Stripe-Signature": sign(body, OTHER)})
    assert (response.status, response.body) == (400, "bad signature")
    assert set(WebhookEvent.objects.values_list("id", flat=True)) == {payload["id"] for payload in accepted}

    # The rotation is over: the old secret is dropped and its signatures are refused from now on.
    settings.STRIPE_WEBHOOK_SECRET = NEW
    late = new_event()
    body = body_of(late)
    assert post(endpoint, body, {"Stripe-Signature": sign(body, OLD)}).status == 400
    assert not WebhookEvent.objects.filter(id=late["id"]).exists()


BOUNDARY = [  # (age of the signature in seconds, fraction of a second on our clock, accepted)
    (0, 0.0, True),
    (299, 0.0, True),
    (300, 0.0, True),  # exactly the tolerance: accepted
    (300, 0.001, False),  # a millisecond over it: refused
    (301, 0.0, False),
    (-300, 0.0, True),  # a sender's clock ahead by the tolerance: accepted
    (-600, 0.0, False),  # further ahead: refused (the SDK sets no bound there; the endpoint does)
]


def test_the_tolerance_boundary(endpoint, now):
    for age, fraction, accepted in BOUNDARY:
        payload = new_event()
        body = body_of(payload)
        header = sign(body, SECRET, timestamp=now - age)
        with pinned_clock(now + fraction):
            response = post(endpoint, body, {"Stripe-Signature": header})
        case = f"age {age + fraction}s"
        if accepted:
            assert response.status == 200, case
            assert WebhookEvent.objects.filter(id=payload["id"]).exists(), case
        else:
            assert (response.status, response.body) == (400, "timestamp outside the tolerance"), case
            assert not WebhookEvent.objects.filter(id=payload["id"]).exists(), case


def test_the_tolerance_setting_is_honoured(endpoint, settings, now):
    settings.STRIPE_WEBHOOK_TOLERANCE = 10
    body = body_of(new_event())
    with pinned_clock(now):
        assert post(endpoint, body, {"Stripe-Signature": sign(body, SECRET, timestamp=now - 10)}).status == 200
        other = body_of(new_event())
        assert post(endpoint, other, {"Stripe-Signature": sign(other, SECRET, timestamp=now - 11)}).status == 400


def test_a_captured_delivery_replayed_after_the_tolerance_is_refused(endpoint, settings, now):
    """An attacker who captured a genuine request (body and header) can only replay it within the tolerance:
    then it is a harmless duplicate; later it is refused."""
    payload = new_event()
    payload["data"]["object"]["email"] = "original@example.com"
    body = body_of(payload)
    header = sign(body, SECRET, timestamp=now)
    with pinned_clock(now + 1):
        assert post(endpoint, body, {"Stripe-Signature": header}).status == 200
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("processed", 1)

    with pinned_clock(now + 120):  # within the tolerance: a duplicate, not applied again
        assert post(endpoint, body, {"Stripe-Signature": header}).status == 200
    with pinned_clock(now + 301):
        response = post(endpoint, body, {"Stripe-Signature": header})
    assert (response.status, response.body) == (400, "timestamp outside the tolerance")
    stored.refresh_from_db()
    assert (WebhookEvent.objects.count(), stored.attempts) == (1, 1)

    # Re-signing the captured body with a fresh timestamp needs the secret.
    forged_header = f"t={now + 301},v1={header.split('v1=')[1]}"
    with pinned_clock(now + 301):
        assert post(endpoint, body, {"Stripe-Signature": forged_header}).body == "bad signature"


def test_any_of_several_v1_signatures_may_match(endpoint, settings):
    """Stripe sends one v1 signature per active secret while the endpoint's secret is rolled."""
    body = body_of(new_event())
    timestamp = int(time.time())
    header = f"t={timestamp},v1={digest(body, OTHER, timestamp)},v1={digest(body, SECRET, timestamp)}"
    assert post(endpoint, body, {"Stripe-Signature": header}).status == 200

    only_wrong = body_of(new_event())
    header = f"t={timestamp},v1={digest(only_wrong, OTHER, timestamp)},v1={'0' * 64}"
    assert post(endpoint, only_wrong, {"Stripe-Signature": header}).body == "bad signature"
    assert WebhookEvent.objects.count() == 1


def test_the_v0_scheme_is_ignored(endpoint):
    """v0 is Stripe's test-mode legacy scheme: a valid digest under v0 is not a signature we accept."""
    body = body_of(new_event())
    timestamp = int(time.time())
    valid = digest(body, SECRET, timestamp)
    response = post(endpoint, body, {"Stripe-Signature": f"t={timestamp},v0={valid}"})
    assert (response.status, response.body) == (400, "bad signature")
    # Beside a v1 signature, a v0 entry changes nothing either way.
    header = f"t={timestamp},v0={'f' * 64},v1={valid}"
    assert post(endpoint, body, {"Stripe-Signature": header}).status == 200
    assert WebhookEvent.objects.count() == 1


MALFORMED_HEADERS = [
    "t=,v1=",
    "t=notanumber,v1={digest}",
    "v1={digest}",
    "t={t}",
    "t={t},v1",
    "t={t};v1={digest}",
    " t={t} , v1={digest} ",
    "t={t},v1={digest}\u00e9",  # non-ASCII: the SDK's compare_digest raised TypeError (a 500) before the fix
    "t={t},v1=\u00e9" + "0" * 63,
    "t={t}" + ",v1=x" * 2000,
]


def test_malformed_headers_are_a_400(endpoint):
    body = body_of(new_event())
    timestamp = int(time.time())
    for header in MALFORMED_HEADERS:
        value = header.format(t=timestamp, digest=digest(body, SECRET, timestamp))
        # HTTP header values travel as bytes: the non-ASCII cases go as their UTF-8 bytes (urllib sends latin-1).
        response = post(endpoint, body, {"Stripe-Signature": value.encode().decode("latin-1")})
        assert response.status == 400, (header, response.body)
        assert response.body in {"bad signature", "malformed signature header", "missing signature"}, header
    assert not WebhookEvent.objects.exists()
