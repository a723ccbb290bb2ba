"""The ledger of received events, the WebhookEvent table: every write to it goes through here.

An event is stored once (its id is the key: a duplicate delivery, or an event both delivered and listed by the
catch-up, is one row), claimed by the worker that applies it, marked when it is sent to the workers, and marked
with the outcome of each try. Nothing here applies an event or talks to the broker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections, router
from django.db.models import F
from django.utils import timezone

from ..models import WebhookEvent
from .retries import due_again_after
from .thin import timestamp_of

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
CLAIMABLE = (Status.PENDING, Status.FAILED)
MAX_ERROR_CHARS = 2000


def event_livemode(payload: dict[str, Any]) -> bool:
    """Only JSON `true` is live mode: anything else a signed body may hold there is taken for test mode, as
    the stored row says."""
    return payload.get("livemode") is True


def store_event(payload: dict[str, Any], *, text: str | None = None) -> bool:
    """Insert the event, pending (`text`: its JSON as received, else `payload` serialized); returns whether it
    was new. A duplicate (same id) is a no-op.

    One statement, committed on its own (outside a transaction): INSERT ... ON CONFLICT DO NOTHING, written
    out, because the ORM's compiler and a second serialization of the payload cost the endpoint as much as the
    round trip. PostgreSQL parses the JSON text into jsonb itself.
    """
    connection = connections[router.db_for_write(WebhookEvent)]
    row = {
        "id": payload["id"],
        "type": payload["type"],
        "api_version": payload.get("api_version"),
        "livemode": event_livemode(payload),
        "created": datetime.fromtimestamp(timestamp_of(payload), tz=UTC),
        "payload": text if text is not None else json.dumps(payload),
        "status": Status.PENDING,
        "attempts": 0,
        "error": "",
        "traceback": "",
        "received_at": timezone.now(),
    }
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"%s{json_cast}" if column == "payload" else "%s" for column in row)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(WebhookEvent._meta.db_table)} ({', '.join(row)}) "
        f"VALUES ({values}) ON CONFLICT (id) DO NOTHING"
    )
    return _execute_counting(connection, sql, list(row.values())) == 1


def _execute_counting(connection, sql: str, params: list[Any]) -> int:
    """Run one statement; the rows it wrote. The statement is its own health check (CONN_HEALTH_CHECKS would
    spend a second round trip on a SELECT 1 first): a persistent connection found dead is replaced and the
    statement sent once more. Nothing is lost if the first one did commit unseen: the insert ignores the
    duplicate, and the sweeper sends the event, which the dispatcher was not given."""
    fresh = connection.connection is None or connection.in_atomic_block
    connection.health_check_done = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    except (OperationalError, InterfaceError):
        if fresh or connection.is_usable():
            raise
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def claim(event_ids: Iterable[str]) -> list[WebhookEvent]:
    """Lock the claimable events among `event_ids` (pending, and failed ones sent again) until the transaction
    ends, skipping those another worker holds: oldest first. The claim is the lock, so two workers never apply
    one event at once; one that dies releases its claim with its connection."""
    claimable = WebhookEvent.objects.filter(pk__in=list(event_ids), status__in=CLAIMABLE)
    return list(claimable.select_for_update(skip_locked=True).order_by("created", "received_at", "id"))


def claim_event(event_id: str) -> WebhookEvent | None:
    """Lock the event `event_id` until the transaction ends, whatever its status (a replay applies a done one
    again), or None: an unknown id, or one another worker holds (skipped, as by `claim`)."""
    return WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()


def mark_enqueued(event_ids: list[str]) -> None:
    """Record that these events were just sent to the workers, so that the sweeper leaves them alone a while."""
    WebhookEvent.objects.filter(pk__in=event_ids).update(enqueued_at=timezone.now())


def unmark_enqueued(event_ids: list[str]) -> None:
    """Nothing of these events is in the queue: let the next sweep send them, not one `RESEND_FACTOR` later."""
    try:
        WebhookEvent.objects.filter(pk__in=event_ids).update(enqueued_at=None)
    except DatabaseError as error:
        logger.warning("Stripe events: could not clear enqueued_at (%s)", error)


def mark_done(event_ids: Iterable[str], status: str, now: datetime) -> None:
    """Record that the handlers applied these events (`status`: processed or ignored), at `now`."""
    WebhookEvent.objects.filter(pk__in=list(event_ids)).update(
        status=status,
        attempts=F("attempts") + 1,
        error="",
        traceback="",
        processed_at=now,
        next_attempt_at=None,
    )


def mark_failed(event_id: str, attempt: int, error: Exception, trace: str) -> None:
    """Record that the event's `attempt`-th try failed: its error, and when it is due again (never, once its
    attempts are spent)."""
    wait = due_again_after(attempt)
    WebhookEvent.objects.filter(pk=event_id).update(
        status=Status.FAILED,
        attempts=F("attempts") + 1,
        error=f"{error.__class__.__name__}: {error}"[:MAX_ERROR_CHARS],
        traceback=trace,
        next_attempt_at=timezone.now() + wait if wait is not None else None,
    )


def attempts_of(event_id: str) -> int:
    """How many times the event was tried (0 for an unknown id)."""
    return WebhookEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first() or 0
