"""ATTACK: a genuine Stripe delivery, captured (a proxy log, a leaked request dump), is replayed an hour later.

stripe-python checks a signature's age only when the tolerance is truthy: with STRIPE_WEBHOOK_TOLERANCE=0 the
old endpoint accepted the replay. Now the endpoint never verifies with less than one second (anything but a
positive int counts as the default, 300 s), and `manage.py check` reports such a setting as django_stripe.E005.
Over real HTTP (a live server); the SDK's clock is the real one.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_stripe.models import WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory
from tests.webhooks.conftest import SECRET, event, post, sign

HOUR = 3600
MISCONFIGURED = [0, -1, "300", True, 100000]


@pytest.fixture
def endpoint(web_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    return web_server.url + "/api/webhook/"


def deliver(endpoint: str, age: int) -> tuple[int, str, str]:
    """A new event, genuinely signed `age` seconds ago: (status, answer, event id)."""
    payload = event("customer.created", CustomerPayloadFactory())
    body = json.dumps(payload).encode()
    response = post(endpoint, body, {"Stripe-Signature": sign(body, SECRET, timestamp=int(time.time()) - age)})
    return response.status, response.body, payload["id"]


@pytest.mark.django_db(transaction=True)
def test_with_tolerance_zero_an_hour_old_delivery_is_refused(endpoint, settings):
    settings.STRIPE_WEBHOOK_TOLERANCE = 0

    status, answer, event_id = deliver(endpoint, age=HOUR)

    assert (status, answer) == (400, "timestamp outside the tolerance")
    assert not WebhookEvent.objects.filter(id=event_id).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("value", [0, -1, "300", True, None])
def test_a_tolerance_that_is_no_positive_int_means_the_default(endpoint, settings, value):
    """300 s: a delivery signed 200 s ago passes, one signed 400 s ago does not (both far from the boundary, so a
    slow request cannot blur them). Before, "300" was a 500 and -1 refused every delivery."""
    settings.STRIPE_WEBHOOK_TOLERANCE = value

    fresh_status, _, fresh_id = deliver(endpoint, age=200)
    stale_status, stale_answer, stale_id = deliver(endpoint, age=400)

    assert fresh_status == 200 and WebhookEvent.objects.filter(id=fresh_id).exists()
    assert (stale_status, stale_answer) == (400, "timestamp outside the tolerance")
    assert not WebhookEvent.objects.filter(id=stale_id).exists()


def run_check(settings, value) -> str:
    """`manage.py check` with STRIPE_WEBHOOK_TOLERANCE = value: what it prints, or its error's message. (Since
    Django 6.0 the model checks ask each database what it supports: the tests calling this need `db`.)"""
    settings.STRIPE_WEBHOOK_TOLERANCE = value
    output = io.StringIO()
    try:
        call_command("check", stdout=output, stderr=output)
    except SystemCheckError as error:
        return str(error)
    return output.getvalue()


@pytest.mark.parametrize("value", MISCONFIGURED)
def test_manage_py_check_reports_a_tolerance_out_of_range(db, settings, value):
    report = run_check(settings, value)

    assert "django_stripe.E005" in report
    assert "STRIPE_WEBHOOK_TOLERANCE" in report and "HINT:" in report


@pytest.mark.parametrize("value", [300, 1, HOUR, None])
def test_manage_py_check_accepts_a_sane_tolerance(db, settings, value):
    """None is the setting left out: the default (300) applies."""
    assert "django_stripe.E005" not in run_check(settings, value)
