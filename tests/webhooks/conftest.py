"""Sending real, signed HTTP requests to the webhook endpoint of a live server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from django.urls import reverse

SECRET = "whsec_test_webhooks"


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header made the way Stripe makes it (HMAC-SHA256 of "t.body")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, obj: dict, *, created: int | None = None, event_id: str | None = None) -> dict:
    created = int(time.time()) if created is None else created
    return {
        "id": event_id or f"evt_{obj.get('id', 'x')}_{event_type}_{created}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": obj, "previous_attributes": {}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


@dataclass
class Response:
    status: int
    body: str


def post(url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> Response:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Response(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode())


class Deliverer:
    """Posts events to `<live server>/api/webhook/` signed with the endpoint secret."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url + reverse("stripe-webhook")

    def send(self, payload: dict, secret: str = SECRET) -> Response:
        body = json.dumps(payload).encode()
        return post(self.url, body, {"Stripe-Signature": sign(body, secret)})


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    return SECRET


@pytest.fixture
def deliver(web_server, webhook_secret) -> Deliverer:
    return Deliverer(web_server.url)
