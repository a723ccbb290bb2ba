"""Apply many stored events in one transaction: how a worker keeps up with a burst.

A batch is claimed with SELECT ... FOR UPDATE SKIP LOCKED, oldest first: the claim is the lock, held until the
batch commits, so two workers on any machines never apply one event twice, and a worker that dies leaves its
events pending for the sweeper (PostgreSQL rolls the claim back). Each event is applied inside a savepoint,
so a bad event fails alone and the rest commit. Of several states of one object in the batch, only the
newest is mirrored: the guarded upsert would record the older ones as stale anyway (they still run every
other handler, and are marked processed).

One commit per batch instead of one per event, and no broker round trip per event, is what lets one worker
apply hundreds of events a second.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import WebhookEvent
from .ledger import claim, mark_done, mark_failed
from .processing import Status, announce_done, apply_handlers, log_failure
from .registry import handlers_for
from .thin import handled_type, is_thin, related_object

DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE

BATCH_SIZE = 100
"""Events claimed at once: one transaction, one commit. Small enough that a batch holds its locks briefly."""


def process_batch(event_ids: Iterable[str]) -> dict[str, list[str]]:
    """Apply the claimable events among `event_ids` (pending ones, and failed ones sent again) in one
    transaction; returns their ids by new status. Events another worker holds, or already done, are skipped
    (not in the result).

    The events are applied in the order of the objects they are about (oldest first within each object), so
    that two workers lock the rows they share in the same order and cannot deadlock on them; an event that
    lost a deadlock all the same (a row locked through another object) is tried once more at the end."""
    outcome: dict[str, list[str]] = {}
    with transaction.atomic():
        event_ids = list(event_ids)
        position = {event_id: number for number, event_id in enumerate(event_ids)}
        # Same-second events of one object in the order they were sent: Stripe's, as the sender knew it.
        events = sorted(claim(event_ids), key=lambda event: (*_lock_order(event), position[event.id]))
        superseded = superseded_states(events)
        failed: list[tuple[WebhookEvent, Exception]] = []
        deadlocked: list[WebhookEvent] = []
        for event in events:
            error = _apply_alone(event, event.id not in superseded, outcome)
            if error is not None and is_deadlock(error):
                deadlocked.append(event)
            elif error is not None:
                failed.append((event, error))
        for event in deadlocked:
            error = _apply_alone(event, event.id not in superseded, outcome)
            if error is not None:
                failed.append((event, error))
        _mark_done(outcome, events)
        for event, error in failed:
            log_failure(event.id, error)
            mark_failed(event.id, event.attempts + 1, error, "".join(traceback.format_exception(error)))
            outcome.setdefault(Status.FAILED, []).append(event.id)
    return outcome


def _apply_alone(event: WebhookEvent, mirror: bool, outcome: dict[str, list[str]]) -> Exception | None:
    """Apply one event of the batch inside a savepoint, so that it rolls back alone; the error, if any."""
    try:
        with transaction.atomic():
            status = apply_handlers(event, mirror=mirror)
    except Exception as error:
        return error
    outcome.setdefault(status, []).append(event.id)
    return None


def is_deadlock(error: Exception) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _lock_order(event: WebhookEvent) -> tuple[str, datetime]:
    return (_object_key(event) or "", event.created)


def superseded_states(events: list[WebhookEvent]) -> set[str]:
    """Ids of events whose object has a strictly newer state in the same batch. A deletion is never
    superseded: it is final, whatever was stamped after it. Same-second states are all kept, so that the
    guarded upsert settles the tie with Stripe instead of the order of the batch guessing it."""
    newest: dict[str, int] = {}
    for event in events:
        key = _object_key(event)
        if key and mirrors_its_object(event):  # only a state that will be written can supersede another
            newest[key] = max(newest.get(key, 0), int(event.created.timestamp()))
    return {
        event.id
        for event in events
        if (key := _object_key(event)) in newest
        and not event.type.endswith(".deleted")
        and int(event.created.timestamp()) < newest[key]
    }


def mirrors_its_object(event: WebhookEvent) -> bool:
    handlers = handlers_for(handled_type(event.type))
    return any(getattr(handler, "mirrors_event_object", False) for handler in handlers)


def _object_key(event: WebhookEvent) -> str | None:
    if is_thin(event.payload):
        named = related_object(event.payload)
        return f"{named[0]}:{named[1]}" if named else None
    obj = (event.payload.get("data") or {}).get("object")
    if not isinstance(obj, dict) or not obj.get("id"):
        return None
    return f"{obj.get('object')}:{obj['id']}"


def _mark_done(outcome: dict[str, list[str]], events: list[WebhookEvent]) -> None:
    """One UPDATE per status for the whole batch; the processed signal for each event once it commits."""
    now = timezone.now()
    for status in (Status.PROCESSED, Status.IGNORED):
        ids = set(outcome.get(status, ()))
        if ids:
            mark_done(ids, status, now)
            for event in events:
                if event.id in ids:
                    announce_done(event, status, now)
