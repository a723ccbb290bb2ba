"""Events that do not carry the object in the pinned API version's shape: thin events, and drifted snapshots.

A thin event (an event destination's notification, `object: "v2.core.event"`) names the object that changed
(`related_object`) and carries no state of it; a snapshot event rendered at another API version than the
pinned one (an endpoint made with the account's default version) carries a state in a shape the mappers may
misread. Both are stored as received, and the worker applies them from the object read from Stripe at the
pinned version, stamped on Stripe's clock: `as_snapshot` gives the handlers the snapshot event they would
have had. A `v1.<type>` thin event reaches the handlers of `<type>`; a v2 event (e.g. `v2.core.account.*`)
reaches only the handlers registered for its own type, with its notification as payload.

A `plan.*` event is applied as the price it is (a plan is the legacy face of a recurring price, with the
same id): read from Stripe as a price, handled as `price.*`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ..client import api_version
from ..models import WebhookEvent
from ..sync.fetch import SERVICES, fetch_object

logger = logging.getLogger(__name__)

THIN_OBJECT = "v2.core.event"
V1_PREFIX = "v1."


def is_thin(payload: dict[str, Any]) -> bool:
    """Whether `payload` is a thin event notification (else a snapshot event)."""
    return payload.get("object") == THIN_OBJECT


def timestamp_of(payload: dict[str, Any]) -> int:
    """The event's `created`, in seconds: a snapshot's integer, or a thin event's ISO 8601 time (checked by
    the view)."""
    created = payload["created"]
    if isinstance(created, int):
        return created
    return int(parse_time(created).timestamp())


def parse_time(value: str) -> datetime:
    """A thin event's `created` ("2026-12-08T02:51:50.123Z"); ValueError for anything else."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a thin event's time has a zone")
    return moment.astimezone(UTC)


# Events about no v1 object's state (a meter's error report is not a snapshot of the meter): their own
# handlers apply them, from the event as it came.
OWN_TYPE_EVENTS = frozenset({"v1.billing.meter.error_report_triggered", "v1.billing.meter.no_meter_found"})


def handled_type(event_type: str) -> str:
    """The type whose handlers apply an event: a `v1.` thin event's snapshot type, else its own; a plan's
    event is its price's."""
    if event_type in OWN_TYPE_EVENTS:
        return event_type
    event_type = event_type.removeprefix(V1_PREFIX)
    return f"price.{event_type.removeprefix('plan.')}" if event_type.startswith("plan.") else event_type


def related_object(payload: dict[str, Any]) -> tuple[str, str] | None:
    """What a thin event names (its Stripe object type and id), or None."""
    related = payload.get("related_object")
    if not isinstance(related, dict):
        return None
    return related["type"], related["id"]


def needs_fetch(event: WebhookEvent) -> bool:
    """Whether the event's object is read from Stripe before it is applied: a v1 thin event, or a snapshot
    rendered at another API version than the pinned one."""
    if event.type in OWN_TYPE_EVENTS:
        return False
    if is_thin(event.payload):
        return event.type.startswith(V1_PREFIX)
    return event.type.startswith("plan.") or event.api_version is not None and event.api_version != api_version()


def as_snapshot(event: WebhookEvent) -> WebhookEvent | None:
    """The event as the handlers read it: itself, or (for a thin or drifted one) itself with its object read
    from Stripe at the pinned version in `payload`, its snapshot type in `type` and the read's stamp in
    `created` (the state is the one of that second), in memory only: the stored row keeps what was received.
    None when there is nothing to apply: the object is not Stripe's to give (404 for an event that is not a
    deletion: another account's, or deleted since, which its own event will say) or not the one named."""
    if not needs_fetch(event):
        return event
    named = related_object(event.payload) if is_thin(event.payload) else _snapshot_object(event.payload)
    if named is None or (named[0] not in SERVICES and named[0] != "plan"):
        return None if is_thin(event.payload) else event  # a drifted object we do not read: as received
    object_type, object_id = ("price", named[1]) if named[0] == "plan" else named
    fetched = fetch_object(object_type, object_id)
    obj = fetched.payload
    event_type = handled_type(event.type)
    if obj is None:
        if not event_type.endswith(".deleted"):
            return None
        obj = {"id": object_id, "object": object_type, "deleted": True}
    elif obj.get("object") != object_type or obj.get("id") != object_id:
        logger.warning("Stripe event %s names %s %s, but Stripe answered another object", event.id, *named)
        return None
    event.type, event.api_version = event_type, api_version()
    event.created = max(event.created, fetched.stripe_time or event.created)
    event.payload = {
        "id": event.id,
        "object": "event",
        "type": event_type,
        "api_version": event.api_version,
        "created": int(event.created.timestamp()),
        "livemode": event.livemode,
        "data": {"object": obj},
    }
    return event


def _snapshot_object(payload: dict[str, Any]) -> tuple[str, str] | None:
    obj = (payload.get("data") or {}).get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("object"), str):
        return None
    return obj["object"], obj["id"]
