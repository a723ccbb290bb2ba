"""Thin events, as an event destination sends them: a notification naming the object that changed, no snapshot.

Each snapshot event the fake emits has one thin twin (`v1.<type>`), made when it is first delivered to an
event destination and kept for the Events v2 API (`GET /v2/core/events/{id}`, as the SDK's
`EventNotification.fetch_event` calls it). The notification is what is POSTed, signed like any delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Stripe's object name -> the path of its v1 resource, for `related_object.url`.
PATHS = {
    "checkout.session": "checkout/sessions",
    "subscription_schedule": "subscription_schedules",
    "payment_method": "payment_methods",
    "setup_intent": "setup_intents",
}


def thin_event(event: dict[str, Any]) -> dict[str, Any]:
    """The v2 event object (`v2.core.event`) of a snapshot `event`."""
    obj = event["data"]["object"]
    related = None
    if obj.get("id") and obj.get("object"):
        path = PATHS.get(obj["object"], f"{obj['object']}s")
        related = {"id": obj["id"], "type": obj["object"], "url": f"/v1/{path}/{obj['id']}"}
    request = event.get("request") or {}
    return {
        "id": f"evt_test_thin_{event['id'].removeprefix('evt_')}",
        "object": "v2.core.event",
        "type": f"v1.{event['type']}",
        "created": datetime.fromtimestamp(event["created"], tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "livemode": event.get("livemode", False),
        "context": event.get("account"),
        "related_object": related,
        "reason": {"type": "request", "request": request} if request.get("id") else None,
        "snapshot_event": event["id"],
        "changes": None,
    }


def notification(thin: dict[str, Any]) -> dict[str, Any]:
    """What an event destination POSTs: the thin event without what only the Events API shows."""
    return {key: value for key, value in thin.items() if key not in ("snapshot_event", "changes") and value is not None}
