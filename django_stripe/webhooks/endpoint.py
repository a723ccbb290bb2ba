"""The webhook endpoint at Stripe: what it should send (exactly the event types the registry handles, at the
pinned API version), how far an existing one drifted from that, and making it so.

Stripe takes no pattern but `*` in `enabled_events`, so the registry's patterns are expanded against the
event types the installed SDK knows. Stripe never changes an endpoint's `api_version`: an endpoint of another
version is replaced by a new one on the same URL (its secret is new; the old endpoint is left for the
project to delete once the new secret is deployed, so that no event is lost in between).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, get_args

from stripe.params import WebhookEndpointCreateParams

from ..client import api_version, get_client
from . import handlers as _builtin_handlers  # noqa: F401  (registers the built-in handlers)
from .registry import patterns


def known_event_types() -> list[str]:
    """Every event type the installed SDK lets an endpoint subscribe to (`*` aside)."""
    (literal,) = get_args(WebhookEndpointCreateParams.__annotations__["enabled_events"])
    return [name for name in get_args(literal) if name != "*"]


def handled_event_types() -> list[str]:
    """The event types the registry handles, sorted: what the endpoint subscribes to."""
    wanted = patterns()
    return sorted(name for name in known_event_types() if any(fnmatchcase(name, pattern) for pattern in wanted))


@dataclass(frozen=True)
class Setup:
    """What `set_up` did: the endpoint, its signing secret (only when it was just created: Stripe shows it
    only then), and any endpoint of another version left on the URL."""

    endpoint: Any
    secret: str | None
    replaced: Any | None = None


def endpoints_at(url: str) -> list[Any]:
    """The account's webhook endpoints on `url`, the ones at the pinned version first."""
    on_url = [endpoint for endpoint in _all_endpoints() if endpoint.url == url]
    return sorted(on_url, key=lambda endpoint: endpoint.api_version != api_version())


def drift(endpoint: Any) -> list[str]:
    """How `endpoint` differs from what it should be, one line each (empty: it is as it should be)."""
    problems = []
    if endpoint.api_version != api_version():
        problems.append(f"API version {endpoint.api_version or 'the account default'}, not {api_version()}")
    subscribed, wanted = set(endpoint.enabled_events), set(handled_event_types())
    if "*" in subscribed:
        problems.append("subscribed to every event type (*)")
        subscribed.discard("*")
    if missing := sorted(wanted - subscribed):
        problems.append(f"missing events: {', '.join(missing)}")
    if extra := sorted(subscribed - wanted):
        problems.append(f"events no handler handles: {', '.join(extra)}")
    if endpoint.status != "enabled":
        problems.append(f"status {endpoint.status}")
    return problems


def set_up(url: str) -> Setup:
    """Make the endpoint on `url` subscribe to exactly the handled event types at the pinned version: update the
    one there, or create one (also when the one there is of another version: Stripe cannot change that)."""
    events = handled_event_types()
    service = get_client().v1.webhook_endpoints
    existing = endpoints_at(url)
    current = existing[0] if existing else None
    if current is not None and current.api_version == api_version():
        if set(current.enabled_events) != set(events) or current.status != "enabled":
            current = service.update(current.id, {"enabled_events": events, "disabled": False})
        return Setup(current, None)
    created = service.create(
        {"url": url, "enabled_events": events, "api_version": api_version(), "description": "django-stripe"}
    )
    return Setup(created, created.secret, replaced=current)


def endpoints_of_another_version() -> list[Any]:
    """The account's enabled endpoints sending events the registry handles, at another API version."""
    wanted = set(handled_event_types())
    return [
        endpoint
        for endpoint in _all_endpoints()
        if endpoint.status == "enabled"
        and endpoint.api_version != api_version()
        and ("*" in endpoint.enabled_events or wanted & set(endpoint.enabled_events))
    ]


def _all_endpoints() -> list[Any]:
    return list(get_client().v1.webhook_endpoints.list({"limit": 100}).auto_paging_iter())
