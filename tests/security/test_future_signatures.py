"""ATTACK: a delivery signed with a timestamp an hour (or a year) ahead. Whoever holds such a request (a signing
mistake of a test setup, a leaked request dump, a host with a wrong clock) could replay it for that long plus the
tolerance, since the window of a replay runs from the timestamp.

stripe-python checks a signature's age only in the past, so the endpoint accepted a timestamp any distance in the
future. Now it refuses one further ahead of its clock than the tolerance (STRIPE_WEBHOOK_TOLERANCE, 300 s by
default) as well: 400 "timestamp outside the tolerance", stored nowhere. A sender's clock a little ahead (within
the tolerance) is still accepted. Over real HTTP (a live server), on the real clock.
"""

from __future__ import annotations

import json
import time

import pytest

from django_stripe.models import WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory
from tests.webhooks.conftest import SECRET, event, post, sign

pytestmark = pytest.mark.django_db(transaction=True)

HOUR, YEAR = 3600, 365 * 86_400


@pytest.fixture
def endpoint(web_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    return web_server.url + "/api/webhook/"


def deliver(endpoint: str, ahead: int) -> tuple[int, str, str]:
    """A new event, genuinely signed with a timestamp `ahead` seconds in the future: (status, answer, event id)."""
    payload = event("customer.created", CustomerPayloadFactory())
    body = json.dumps(payload).encode()
    response = post(endpoint, body, {"Stripe-Signature": sign(body, SECRET, timestamp=int(time.time()) + ahead)})
    return response.status, response.body, payload["id"]


@pytest.mark.parametrize("ahead", [HOUR, YEAR])
def test_a_delivery_signed_in_the_future_is_refused_and_stored_nowhere(endpoint, ahead):
    status, answer, event_id = deliver(endpoint, ahead)

    assert (status, answer) == (400, "timestamp outside the tolerance")
    assert not WebhookEvent.objects.filter(id=event_id).exists()


def test_a_senders_clock_a_little_ahead_is_within_the_tolerance(endpoint):
    """300 s by default, both ways: 200 s ahead passes, 400 s ahead does not (far from the boundary, so a slow
    request cannot blur them; tests/reliability/test_signatures.py has the boundary to the second)."""
    fresh_status, _, fresh_id = deliver(endpoint, 200)
    early_status, early_answer, early_id = deliver(endpoint, 400)

    assert fresh_status == 200 and WebhookEvent.objects.filter(id=fresh_id).exists()
    assert (early_status, early_answer) == (400, "timestamp outside the tolerance")
    assert not WebhookEvent.objects.filter(id=early_id).exists()


def test_the_tolerance_setting_bounds_the_future_as_the_past(endpoint, settings):
    settings.STRIPE_WEBHOOK_TOLERANCE = HOUR
    assert deliver(endpoint, HOUR // 2)[0] == 200
    assert deliver(endpoint, HOUR + 100)[:2] == (400, "timestamp outside the tolerance")
