"""Webhook endpoints over the API: create (the answer carries the signing `secret`, which Stripe shows only
then), retrieve, list, delete. Events then reach the URL signed, as with the server's `--webhook-url`."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from ..errors import parameter_invalid
from ..params import Params, as_strings, merge_metadata, require
from ..resource import Resource
from ..routing import Request
from ..shapes import build, deleted
from ..store import StripeObject

webhook_endpoints = Resource("webhook_endpoint", "/v1/webhook_endpoints", noun="webhook endpoint")


def _url(params: Params) -> str:
    url = require(params, "url")
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise parameter_invalid("url", f"Invalid URL: {url}", "url_invalid")
    return url


def _enabled_events(params: Params) -> list[str]:
    return as_strings(params, "enabled_events") or require(params, "enabled_events")


@webhook_endpoints.post()
def post_webhook_endpoints(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    url, enabled_events = _url(params), _enabled_events(params)
    endpoint = build(
        "webhook_endpoint",
        api_version=params.get("api_version") or None,
        application=None,
        created=fake.now(),
        description=params.get("description") or None,
        enabled_events=enabled_events,
        id=fake.store.new_id("we_", 24),
        livemode=False,
        metadata=merge_metadata({}, params),
        status="enabled",
        url=url,
    )
    fake.store.add(endpoint)
    secret = f"whsec_{secrets.token_hex(16)}"
    fake.webhooks.add(url, secret, key=endpoint["id"], enabled_events=tuple(enabled_events))
    return {**endpoint, "secret": secret}  # a copy: the stored endpoint never shows its secret again


@webhook_endpoints.delete("/{id}")
def delete_webhook_endpoint(request: Request) -> StripeObject:
    endpoint = webhook_endpoints.retrieve(request)
    request.fake.store.remove(endpoint["id"])
    request.fake.webhooks.remove(endpoint["id"])
    return deleted(endpoint)
