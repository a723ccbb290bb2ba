"""Webhook endpoints, `Stripe-Signature` signing, and delivery of events by HTTP POST (or to a callable)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .thin_events import notification, thin_event
from .versions import render

Receiver = Callable[[bytes, dict[str, str]], int]
"""An in-process endpoint: called with the body and headers, returns the HTTP status it answered."""


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value for `payload`, as Stripe computes it (HMAC-SHA256, scheme v1)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    event_id: str
    event_type: str
    url: str
    status: int | None
    error: str | None = None
    delivered_at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Endpoint:
    """Where events go: a URL (or an in-process callable), the secret that signs them, the event types wanted,
    the API version their snapshots are rendered at (None: the fake's own), and whether it is an event
    destination of thin events (`v1.<type>` notifications, no snapshot)."""

    target: str | Receiver
    secret: str
    enabled_events: tuple[str, ...] = ("*",)
    api_version: str | None = None
    thin: bool = False

    @property
    def name(self) -> str:
        return _name(self.target)

    def wants(self, event_type: str) -> bool:
        wanted = f"v1.{event_type}" if self.thin else event_type
        return "*" in self.enabled_events or wanted in self.enabled_events


def _name(target: str | Receiver) -> str:
    return target if isinstance(target, str) else repr(target)


class Webhooks:
    """Registered endpoints and the record of every delivery attempt."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        """By key: the URL for `add_webhook_endpoint` (adding it again replaces its secret), the `we_...` id for
        an endpoint created over the API (Stripe allows several endpoints on one URL)."""
        self.deliveries: list[Delivery] = []
        self.thin_events: dict[str, dict[str, Any]] = {}
        """The thin twin of every snapshot event sent to an event destination, by its own id (the Events v2 API)."""
        self.timeout = 10.0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy

    def add(
        self,
        url: str | Receiver,
        secret: str,
        key: str | None = None,
        enabled_events: tuple[str, ...] = ("*",),
        *,
        api_version: str | None = None,
        thin: bool = False,
    ) -> None:
        self.endpoints[key or _name(url)] = Endpoint(url, secret, enabled_events, api_version, thin)

    def remove(self, key: str) -> None:
        self.endpoints.pop(key, None)

    def reset(self) -> None:
        self.endpoints.clear()
        self.deliveries.clear()
        self.thin_events.clear()

    def subscribed(self, event_type: str) -> list[Endpoint]:
        """The endpoints that receive `event_type` when it happens."""
        return [endpoint for endpoint in list(self.endpoints.values()) if endpoint.wants(event_type)]

    def targets(self, url: str | Receiver | None, event_type: str) -> list[Endpoint]:
        """Every endpoint wanting `event_type`, or every endpoint on `url` (asked for by name, so whatever it
        subscribed to)."""
        if url is None:
            return self.subscribed(event_type)
        found = [endpoint for endpoint in list(self.endpoints.values()) if endpoint.name == _name(url)]
        if not found:
            raise ValueError(f"No webhook endpoint is registered for {_name(url)}: call add_webhook_endpoint first.")
        return found

    def deliver(self, event: dict[str, Any], url: str | Receiver | None = None) -> list[Delivery]:
        """POST `event` to one endpoint (or all of them), signed with the endpoint's secret. Never raises, except
        ValueError for a `url` that no endpoint has."""
        results = []
        for endpoint in self.targets(url, event["type"]):
            payload = json.dumps(self.rendered(event, endpoint), indent=2).encode()
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, endpoint.secret),
            }
            status, error = self._post(endpoint.target, payload, headers)
            delivery = Delivery(event["id"], event["type"], endpoint.name, status, error)
            self.deliveries.append(delivery)
            results.append(delivery)
        return results

    def rendered(self, event: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
        """What `endpoint` receives of `event`: its thin notification, or its snapshot at the endpoint's version."""
        if not endpoint.thin:
            return render(event, endpoint.api_version)
        thin = thin_event(event)
        self.thin_events.setdefault(thin["id"], thin)
        return notification(thin)

    def _post(self, target: str | Receiver, payload: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        if not isinstance(target, str):
            try:
                return target(payload, headers), None
            except Exception as exc:  # an endpoint's failure is recorded, as Stripe records it
                return None, repr(exc)
        request = urllib.request.Request(target, data=payload, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")[:500]
        except (urllib.error.URLError, OSError) as exc:
            return None, str(exc)
