"""A new resource is one file: `widgets.py` beside this test declares one, and the SDK reaches every route of
it over HTTP with its generic request (`StripeClient.raw_request`), with its events and Stripe's 404 and list
shapes from the declaration. And the fake's own resources are found by their folder alone."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import pytest
import stripe

import fake_stripe.resources
from fake_stripe import FakeStripe, FakeStripeServer

from . import widgets  # noqa: F401  (imported for the resource it declares)


@pytest.fixture
def server():
    with FakeStripeServer(FakeStripe()) as server:
        yield server


def call(client: stripe.StripeClient, method: str, url: str, **params):
    return client.deserialize(client.raw_request(method, url, **params), api_mode="V1")


def test_a_resource_of_one_file_over_http(server):
    client = stripe.StripeClient("sk_test_widgets", base_addresses={"api": server.url}, max_network_retries=0)
    blue = call(client, "post", "/v1/test_widgets", color="blue")
    call(client, "post", "/v1/test_widgets", color="red")
    assert call(client, "get", f"/v1/test_widgets/{blue.id}").color == "blue"

    listed = call(client, "get", "/v1/test_widgets", color="red")
    assert [w.color for w in listed.data] == ["red"] and listed.url == "/v1/test_widgets" and not listed.has_more
    assert [w.color for w in call(client, "get", "/v1/test_widgets").data] == ["red", "blue"]  # newest first

    assert call(client, "post", f"/v1/test_widgets/{blue.id}", color="green").color == "green"
    events = [(e["type"], e["data"].get("previous_attributes")) for e in server.fake.events]
    assert events == [("widget.created", None), ("widget.created", None), ("widget.updated", {"color": "blue"})]

    with pytest.raises(stripe.InvalidRequestError) as missing:
        call(client, "get", "/v1/test_widgets/wid_nothere")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert "No such widget: 'wid_nothere'" in str(missing.value)


def test_every_module_of_the_resources_folder_is_loaded():
    folder = fake_stripe.resources
    names = [f"{folder.__name__}.{module.name}" for module in pkgutil.iter_modules(folder.__path__)]
    assert names and all(name in sys.modules for name in names)
    assert importlib.import_module("fake_stripe.resources") is folder
