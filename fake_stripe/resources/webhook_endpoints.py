"""Webhook endpoints over the API: create (the answer carries the signing `secret`, which Stripe shows only
then), retrieve, list, update (its events, url, description, metadata, disabled: not its `api_version`, as at
Stripe), delete. Events then reach the URL signed, as with the server's `--webhook-url`, their snapshots
rendered at the endpoint's `api_version` (fake_stripe/versions.py)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from ..errors import parameter_invalid
from ..params import Params, as_strings, merge_metadata, require
from ..resource import Resource
from ..routing import Request
from ..shapes import build, deleted
from ..store import StripeObject
from ..versions import known

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


def _api_version(params: Params) -> str | None:
    version = params.get("api_version") or None
    if version is not None and not (isinstance(version, str) and known(version)):
        raise parameter_invalid("api_version", f"Invalid API version: {version}", "api_version_invalid")
    return version


@webhook_endpoints.post()
def post_webhook_endpoints(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    url, enabled_events, api_version = _url(params), _enabled_events(params), _api_version(params)
    endpoint = build(
        "webhook_endpoint",
        api_version=api_version,
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
    fake.webhooks.add(url, secret, key=endpoint["id"], enabled_events=tuple(enabled_events), api_version=api_version)
    return {**endpoint, "secret": secret}  # a copy: the stored endpoint never shows its secret again


@webhook_endpoints.post("/{id}")
def update_webhook_endpoint(request: Request) -> StripeObject:
    endpoint, params = webhook_endpoints.retrieve(request), request.params
    if "api_version" in params:  # Stripe's endpoint keeps the version it was made with
        raise parameter_invalid("api_version", "Received unknown parameter: api_version", "parameter_unknown")
    changes: dict[str, object] = {}
    if "url" in params:
        changes["url"] = _url(params)
    if "enabled_events" in params:
        changes["enabled_events"] = _enabled_events(params)
    if "description" in params:
        changes["description"] = params.get("description") or None
    if "disabled" in params:
        changes["status"] = "disabled" if str(params["disabled"]).lower() == "true" else "enabled"
    endpoint.update(changes, metadata=merge_metadata(endpoint.get("metadata") or {}, params))
    delivery = request.fake.webhooks.endpoints.get(endpoint["id"])
    if delivery is not None:
        delivery.target, delivery.enabled_events = endpoint["url"], tuple(endpoint["enabled_events"])
    return endpoint


@webhook_endpoints.delete("/{id}")
def delete_webhook_endpoint(request: Request) -> StripeObject:
    endpoint = webhook_endpoints.retrieve(request)
    request.fake.store.remove(endpoint["id"])
    request.fake.webhooks.remove(endpoint["id"])
    return deleted(endpoint)
