import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from django.test import override_settings

from django_stripe.client import api_version, get_client
from django_stripe.exceptions import StripeNotConfigured


@override_settings(STRIPE_SECRET_KEY="sk_test_123", STRIPE_API_BASE="http://127.0.0.1:12111")
def test_client_uses_key_base_and_pinned_version():
    client = get_client()
    options = client._requestor._options
    assert options.api_key == "sk_test_123"
    assert options.base_addresses["api"] == "http://127.0.0.1:12111"
    assert options.stripe_version == stripe.api_version == api_version()


def test_key_is_read_at_call_time_and_module_globals_untouched():
    with override_settings(STRIPE_SECRET_KEY="sk_test_one"):
        first = get_client()
    with override_settings(STRIPE_SECRET_KEY="sk_test_two"):
        second = get_client()
    assert first._requestor._options.api_key == "sk_test_one"
    assert second._requestor._options.api_key == "sk_test_two"
    assert stripe.api_key is None
    assert stripe.api_base == "https://api.stripe.com"


@override_settings(STRIPE_SECRET_KEY="sk_test_1", STRIPE_API_VERSION="2025-03-31.basil")
def test_api_version_can_be_pinned():
    assert get_client()._requestor._options.stripe_version == "2025-03-31.basil"
    assert api_version() == "2025-03-31.basil"


def test_same_configuration_reuses_one_client():
    with override_settings(STRIPE_SECRET_KEY="sk_test_same"):
        assert get_client() is get_client()


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with override_settings(STRIPE_SECRET_KEY=None), pytest.raises(StripeNotConfigured, match="STRIPE_SECRET_KEY"):
        get_client()


class RecordingStripe(BaseHTTPRequestHandler):
    """Answers every request with a customer and keeps the headers it was sent."""

    seen: list[dict[str, str]] = []

    def do_GET(self):
        RecordingStripe.seen.append(dict(self.headers))
        body = json.dumps({"id": "cus_1", "object": "customer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("app_data", "user_agent"),
    [
        ({"name": "shop", "version": "2.0", "url": "https://shop.example"}, "shop/2.0 (https://shop.example)"),
        ("plain-name", "plain-name"),
    ],
)
def test_stripe_app_data_names_the_plugin_in_every_request(app_data, user_agent, monkeypatch):
    monkeypatch.setattr(stripe, "app_info", None)  # restored after the test: the SDK keeps it module-wide
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    RecordingStripe.seen.clear()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with override_settings(STRIPE_SECRET_KEY="sk_test_ua", STRIPE_API_BASE=base, STRIPE_APP_DATA=app_data):
            get_client().v1.customers.retrieve("cus_1")
    finally:
        server.shutdown()
        server.server_close()
    (headers,) = RecordingStripe.seen
    assert headers["User-Agent"].endswith(" " + user_agent)
    assert json.loads(headers["X-Stripe-Client-User-Agent"])["application"]["name"] == user_agent.split("/")[0]


def test_an_app_info_the_project_set_itself_is_left_alone(monkeypatch):
    monkeypatch.setattr(stripe, "app_info", {"name": "theirs", "partner_id": None, "url": None, "version": None})
    with override_settings(STRIPE_SECRET_KEY="sk_test_theirs", STRIPE_APP_DATA="ours"):
        get_client()
    assert stripe.app_info["name"] == "theirs"
