"""Stored events for processing tests (the endpoint is tested over HTTP in test_views)."""

from __future__ import annotations

from datetime import UTC, datetime

from django_stripe.models import WebhookEvent

from .conftest import event


def stored(event_type: str, obj: dict, *, created: int = 1_767_225_600, event_id: str | None = None) -> WebhookEvent:
    payload = event(event_type, obj, created=created, event_id=event_id)
    return WebhookEvent.objects.create(
        id=payload["id"],
        type=event_type,
        api_version=payload["api_version"],
        created=datetime.fromtimestamp(created, tz=UTC),
        payload=payload,
    )
