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


class Webhooks:
    """Registered endpoints and the record of every delivery attempt."""

    def __init__(self) -> None:
        self.endpoints: dict[str, tuple[str | Receiver, str]] = {}
        self.deliveries: list[Delivery] = []
        self.timeout = 10.0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy

    def add(self, url: str | Receiver, secret: str) -> None:
        self.endpoints[url if isinstance(url, str) else repr(url)] = (url, secret)

    def reset(self) -> None:
        self.endpoints.clear()
        self.deliveries.clear()

    def targets(self, url: str | Receiver | None) -> list[tuple[str | Receiver, str]]:
        if url is None:
            return list(self.endpoints.values())
        key = url if isinstance(url, str) else repr(url)
        if key not in self.endpoints:
            raise ValueError(f"No webhook endpoint is registered for {key}: call add_webhook_endpoint first.")
        return [self.endpoints[key]]

    def deliver(self, event: dict[str, Any], url: str | Receiver | None = None) -> list[Delivery]:
        """POST `event` to one endpoint (or all of them), signed with the endpoint's secret. Never raises."""
        payload = json.dumps(event, indent=2).encode()
        results = []
        for target, secret in self.targets(url):
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, secret),
            }
            status, error = self._post(target, payload, headers)
            name = target if isinstance(target, str) else repr(target)
            delivery = Delivery(event["id"], event["type"], name, status, error)
            self.deliveries.append(delivery)
            results.append(delivery)
        return results

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
