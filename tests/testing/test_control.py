"""The standalone server's control endpoints (`/_fake/...`) over real HTTP: deliver queued events (all, one, any
number of times, to one endpoint) and inject faults, as the Python API does in-process."""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from django_stripe.client import get_client

from .receivers import SECRET


def call(fake, method, path, **params):
    """(status, JSON body) of a control request to the fake's HTTP server."""
    data = urlencode(params).encode() if method == "POST" else None
    request = urllib.request.Request(fake.public_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def queued(stripe_fake_server, receiver):
    """A fake holding its events, with the receiver registered: a product created, then renamed."""
    fake = stripe_fake_server
    fake.add_webhook_endpoint(receiver.url, SECRET)
    assert call(fake, "POST", "/_fake/delivery_mode", mode="queued") == (200, {"delivery_mode": "queued"})
    product = get_client().v1.products.create({"name": "A"})
    get_client().v1.products.update(product.id, {"name": "B"})
    return fake


def test_list_and_deliver_every_queued_event(queued, receiver):
    status, body = call(queued, "GET", "/_fake/events/queued")
    assert status == 200 and [e["type"] for e in body["data"]] == ["product.created", "product.updated"]
    assert receiver.events == []

    status, body = call(queued, "POST", "/_fake/events/deliver")
    assert status == 200 and [d["event_type"] for d in body["deliveries"]] == ["product.created", "product.updated"]
    assert all(d["status"] == 200 and d["url"] == receiver.url for d in body["deliveries"])
    assert receiver.types() == ["product.created", "product.updated"] and not receiver.failures
    assert call(queued, "GET", "/_fake/events/queued")[1]["data"] == []


def test_deliver_one_event_in_any_order_any_number_of_times(queued, receiver):
    created, updated = queued.queued_events()
    for event in (updated, created, updated):
        status, body = call(queued, "POST", f"/_fake/events/{event['id']}/deliver", url=receiver.url)
        assert status == 200 and body["deliveries"][0]["event_id"] == event["id"]
    assert receiver.types() == ["product.updated", "product.created", "product.updated"]
    assert queued.queued_events() == []


def test_deliver_to_an_unknown_url_or_event(queued, receiver):
    status, body = call(queued, "POST", "/_fake/events/deliver", url="http://127.0.0.1:9/nobody")
    assert status == 400 and body["error"]["param"] == "url"
    assert len(queued.queued_events()) == 2  # nothing left the queue
    status, body = call(queued, "POST", "/_fake/events/evt_missing/deliver")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    assert receiver.events == []


def test_faults_for_the_next_requests(stripe_fake_server, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    client = get_client()
    assert call(stripe_fake_server, "POST", "/_fake/faults", count=2, status=429) == (200, {"pending_faults": 2})
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError):
            client.v1.customers.list()
    assert client.v1.customers.list().data == []

    assert call(stripe_fake_server, "POST", "/_fake/faults") == (200, {"pending_faults": 1})  # default: one 500
    with pytest.raises(stripe.APIError) as error:
        client.v1.customers.list()
    assert error.value.http_status == 500

    assert call(stripe_fake_server, "POST", "/_fake/faults", status="none", delay=0.3)[0] == 200
    started = time.monotonic()
    assert client.v1.customers.list().data == []
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    "params",
    [{"status": 404}, {"status": "teapot"}, {"count": 0}, {"delay": "-1"}, {"delay": "soon"}, {"status": "none"}],
)
def test_bad_faults_are_a_400(stripe_fake_server, params):
    status, body = call(stripe_fake_server, "POST", "/_fake/faults", **params)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert stripe_fake_server.pending_faults() == 0


def test_control_requests_do_not_take_faults(stripe_fake_server):
    stripe_fake_server.fail_next(1, status=500)
    assert call(stripe_fake_server, "POST", "/_fake/clock/advance", seconds=60)[0] == 200
    assert call(stripe_fake_server, "GET", "/_fake/events/queued")[0] == 200
    assert stripe_fake_server.pending_faults() == 1
    status, body = call(stripe_fake_server, "POST", "/_fake/clock/advance", seconds="soon")
    assert status == 400 and body["error"]["code"] == "parameter_invalid_integer"
