"""Attacks on the fake's usage routes, over real HTTP, as Stripe refuses them: the stream takes only a live
session's token (never the secret key, a forged or expired token, or none), a token opens nothing else, a
publishable key reaches no usage route, usage cannot be taken back with a negative, endless or replayed value
nor slipped into a closed period, and a malformed body is a 400, never a 500."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe

from fake_stripe.server import FakeStripeServer
from tests.fake_stripe.metering import Metering, client_on, event

STREAM = "/v2/billing/meter_event_stream"


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def body(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


@pytest.mark.parametrize("token", ["sk_test_metering", "mes_token_forged", "pk_test_123"])
def test_the_stream_takes_only_a_sessions_token(metering: Metering, token: str) -> None:
    customer = metering.customer()
    status, answer = metering.raw("POST", STREAM, body(event(customer, "x")), token=token)
    assert status == 401 and answer["error"]["message"]
    assert metering.fake.usage.pending == [] and metering.usage(customer) == [0.0]


def test_the_stream_without_a_bearer_is_refused(metering: Metering) -> None:
    request = urllib.request.Request(metering.url + STREAM, data=body(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401


def test_an_expired_token_stays_expired(metering: Metering) -> None:
    session = metering.client.v2.billing.meter_event_session.create()
    metering.fake.advance_clock(15 * 60)
    status, answer = metering.raw("POST", STREAM, body(event(metering.customer(), "x")), session.authentication_token)
    assert status == 401 and answer["error"]["code"] == "billing_meter_event_session_expired"


def test_a_session_token_opens_no_other_route(metering: Metering) -> None:
    token = metering.client.v2.billing.meter_event_session.create().authentication_token
    intruder = client_on(metering.url, token)
    with pytest.raises(stripe.AuthenticationError):
        intruder.v1.customers.list()
    with pytest.raises(stripe.AuthenticationError):
        intruder.v2.billing.meter_event_session.create()  # a token never makes tokens
    with pytest.raises(stripe.AuthenticationError):
        intruder.v1.billing.meter_events.create(
            {"event_name": "api_call", "payload": {"stripe_customer_id": metering.customer(), "value": "1"}}
        )


def test_a_publishable_key_reaches_no_usage_route(metering: Metering) -> None:
    browser = client_on(metering.url, "pk_test_123")
    customer = metering.customer()
    with pytest.raises(stripe.AuthenticationError):
        browser.v2.billing.meter_event_session.create()
    with pytest.raises(stripe.AuthenticationError):
        browser.v1.billing.meter_events.create(
            {"event_name": "api_call", "payload": {"stripe_customer_id": customer, "value": "1"}}
        )
    with pytest.raises(stripe.AuthenticationError):
        browser.v1.billing.meters.list()
    assert metering.usage(customer) == [0.0]


@pytest.mark.parametrize("value", ["-100", "1e400", "-inf", "nan", "0x10"])
def test_usage_cannot_be_taken_back_or_made_endless(metering: Metering, value: str) -> None:
    customer = metering.customer()
    metering.report(customer, 50)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        metering.report(customer, value)
    assert refused.value.code == "meter_event_invalid_value"
    metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "s", value)]})
    assert metering.usage(customer) == [50.0]


def test_a_replayed_request_counts_once(metering: Metering) -> None:
    customer = metering.customer()
    spec = {"event_name": "api_call", "payload": {"stripe_customer_id": customer, "value": "9"}, "identifier": "r"}
    first = metering.client.v1.billing.meter_events.create(spec, {"idempotency_key": "key-1"})
    again = metering.client.v1.billing.meter_events.create(spec, {"idempotency_key": "key-1"})
    assert again.identifier == first.identifier and again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.InvalidRequestError):
        metering.client.v1.billing.meter_events.create(spec, {"idempotency_key": "key-2"})
    assert metering.usage(customer) == [9.0]


def test_usage_cannot_be_slipped_into_a_billed_period(metering: Metering) -> None:
    customer = metering.customer()
    recurring = {"interval": "month", "usage_type": "metered", "meter": metering.meter.id}
    price = metering.client.v1.prices.create(
        {"product_data": {"name": "API"}, "currency": "usd", "unit_amount": 1, "recurring": recurring}
    )
    subscription = metering.client.v1.subscriptions.create({"customer": customer, "items": [{"price": price.id}]})
    item = subscription["items"].data[0]
    metering.fake.advance_clock(item.current_period_end - metering.fake.now() + 36 * 86400)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        metering.report(customer, 1000, timestamp=item.current_period_start + 10)

    assert refused.value.code == "timestamp_too_far_in_past"


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"events"', b'{"events": {"0": 1}}'])
def test_a_malformed_stream_body_is_a_400(metering: Metering, payload: bytes) -> None:
    token = metering.client.v2.billing.meter_event_session.create().authentication_token
    status, answer = metering.raw("POST", STREAM, payload, token)
    assert status == 400 and answer["error"]["message"]
    assert metering.fake.usage.pending == []
