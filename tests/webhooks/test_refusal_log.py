"""Refused deliveries are logged with their reason and what to check, over real HTTP, without flooding the log."""

from __future__ import annotations

import json
import logging
import time

import pytest

from django_stripe.testing.factories import CustomerPayloadFactory
from django_stripe.webhooks.refusals import RefusalLog

from .conftest import SECRET, event, post, sign

pytestmark = pytest.mark.django_db(transaction=True)


def refusals(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "django_stripe.webhooks" and r.levelno == logging.WARNING
    ]


def send(web_server, payload: dict, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(payload).encode()
    return post(web_server.url + "/api/webhook/", body, {"Stripe-Signature": sign(body, secret, timestamp)})


def customer_event(**fields) -> dict:
    return {**event("customer.created", CustomerPayloadFactory()), **fields}


def test_a_wrong_secret_is_logged_with_what_to_check_and_no_secret(web_server, webhook_secret, caplog):
    caplog.set_level(logging.DEBUG)
    response = send(web_server, customer_event(), secret="whsec_the_wrong_one")

    assert (response.status, response.body) == (400, "bad signature")
    [line] = refusals(caplog)
    assert "refused (bad signature)" in line and "from 127.0.0.1" in line
    assert "STRIPE_WEBHOOK_SECRET" in line and "stripe listen" in line
    assert "whsec_" not in caplog.text and SECRET not in caplog.text and "v1=" not in caplog.text


@pytest.mark.parametrize(
    ("make", "reason", "hint"),
    [
        (lambda: {"timestamp": int(time.time()) - 3600}, "timestamp outside the tolerance", "server's clock"),
        (lambda: {"payload": customer_event(livemode=True)}, "livemode does not match", "different modes"),
        (lambda: {"payload": customer_event(account="acct_1")}, "connected accounts", "STRIPE_CONNECT_EVENTS"),
        (lambda: {"payload": {"object": "list"}}, "not a Stripe event", "not a Stripe event"),
    ],
    ids=["clock", "other-mode", "connected-account", "malformed"],
)
def test_each_reason_is_logged_with_its_hint(web_server, webhook_secret, settings, caplog, make, reason, hint):
    settings.STRIPE_SECRET_KEY = "sk_test_refusals"
    case = make()
    response = send(web_server, case.get("payload") or customer_event(), timestamp=case.get("timestamp"))

    assert response.status == 400
    [line] = refusals(caplog)
    assert reason in line and hint in line


def test_the_origin_refusals_name_the_event(web_server, webhook_secret, settings, caplog):
    settings.STRIPE_SECRET_KEY = "sk_test_refusals"
    foreign = customer_event(livemode=True)
    send(web_server, foreign)
    [line] = refusals(caplog)
    assert f"event {foreign['id']} (customer.created)" in line


def test_a_storm_of_refusals_logs_one_line_per_reason(web_server, webhook_secret, caplog):
    for _ in range(20):
        assert send(web_server, customer_event(), secret="whsec_the_wrong_one").status == 400
    for _ in range(5):
        assert send(web_server, customer_event(), timestamp=int(time.time()) - 3600).status == 400

    lines = refusals(caplog)
    assert len(lines) == 2
    assert "(bad signature)" in lines[0] and "(timestamp outside the tolerance)" in lines[1]


def test_the_next_line_of_a_reason_counts_the_ones_not_logged(caplog):
    now = [1000.0]
    log = RefusalLog(interval=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="django_stripe.webhooks"):
        assert log.refused("bad signature") is True
        assert [log.refused("bad signature") for _ in range(7)] == [False] * 7
        now[0] += 59.9
        assert log.refused("bad signature") is False
        now[0] += 0.2
        assert log.refused("bad signature") is True

    first, second = refusals(caplog)
    assert "more refused" not in first
    assert "(8 more refused for this reason since the last line were not logged)" in second
