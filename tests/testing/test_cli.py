"""`python -m django_stripe.testing.server` as a real process: signed deliveries to `--webhook-url`, and the
control endpoints driving a standalone server's queued events and faults."""

import json
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
import stripe

from tests.ports import free_port

from .receivers import Receiver


@contextmanager
def fake_server(*options):
    """The server in its own process; yields its base URL once it listens."""
    port = free_port()
    command = [sys.executable, "-m", "django_stripe.testing.server", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, *options], stderr=subprocess.PIPE, text=True)
    try:
        banner = [process.stderr.readline() for _ in range(1 + options.count("--webhook-url"))]
        assert "listening" in banner[-1], banner
        yield f"http://127.0.0.1:{port}", banner
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def sdk(base_url):
    return stripe.StripeClient("sk_test_cli", base_addresses={"api": base_url}, max_network_retries=0)


def control(base_url, path, **params):
    data = urlencode(params).encode()
    with urllib.request.urlopen(urllib.request.Request(base_url + path, data=data), timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def cli_receiver():
    receiver = Receiver("whsec_cli_secret")
    yield receiver
    receiver.close()


def test_webhook_url_and_secret_flags(cli_receiver):
    with fake_server("--webhook-url", cli_receiver.url, "--webhook-secret", "whsec_cli_secret") as (url, banner):
        assert cli_receiver.url in banner[0] and "whsec_cli_secret" in banner[0]
        product = sdk(url).v1.products.create({"name": "Over the wire"})
        events = cli_receiver.wait_for(1)
    assert not cli_receiver.failures  # each delivery verified with stripe.Webhook.construct_event
    assert [e.type for e in events] == ["product.created"] and events[0].data.object.id == product.id


def test_queued_events_and_faults_of_a_standalone_server(cli_receiver):
    options = ("--webhook-url", cli_receiver.url, "--webhook-secret", "whsec_cli_secret", "--queue-events")
    with fake_server(*options) as (url, _):
        client = sdk(url)
        product = client.v1.products.create({"name": "A"})
        client.v1.products.update(product.id, {"name": "B"})
        with urllib.request.urlopen(f"{url}/_fake/events/queued", timeout=10) as response:
            queued = [event["id"] for event in json.loads(response.read())["data"]]  # oldest first
        assert len(queued) == 2 and cli_receiver.events == []

        control(url, f"/_fake/events/{queued[1]}/deliver")
        control(url, f"/_fake/events/{queued[1]}/deliver")  # again: it left the queue, it can still be sent
        assert [d["event_id"] for d in control(url, "/_fake/events/deliver")["deliveries"]] == [queued[0]]
        types = [e.type for e in cli_receiver.wait_for(3)]
        assert types == ["product.updated", "product.updated", "product.created"]

        assert control(url, "/_fake/faults", count=1, status=429) == {"pending_faults": 1}
        with pytest.raises(stripe.RateLimitError):
            client.v1.products.retrieve(product.id)
        assert client.v1.products.retrieve(product.id).name == "B"
    assert not cli_receiver.failures
