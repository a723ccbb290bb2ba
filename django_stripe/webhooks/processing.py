"""Process one stored event: idempotent, one transaction, status and error kept on the event.

The event row is locked with SKIP LOCKED for the whole transaction, so two workers handed the same event
(a redelivery, the sweeper) never apply it at once: the second one skips. If the worker dies, PostgreSQL
rolls back and releases the lock; the event is still pending and the sweeper enqueues it again.

A failure records when the event is due again (`next_attempt_at`, on the backoff schedule below): the
task's own retry comes by then, and the sweeper sends it again if that retry never happened.
"""

from __future__ import annotations

import logging
import random
import traceback
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import WebhookEvent
from ..signals import webhook_event_processed
from . import handlers as _builtin_handlers  # noqa: F401  (registers the built-in handlers)
from .registry import handlers_for

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
DONE = (Status.PROCESSED, Status.IGNORED)
SKIPPED = "skipped"
MAX_ERROR_CHARS = 2000

MAX_RETRIES = 8
MAX_ATTEMPTS = MAX_RETRIES + 1
"""How many times an event is tried without anyone asking (the first try and its retries)."""


def retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 10 s, 20 s, 40 s... capped at 1 hour, with jitter."""
    base = _base_delay(retries)
    return base + random.randint(0, base // 4)


def due_again_after(attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed try an event is due again: the longest `retry_delay` of that
    retry, so the task's own retry always comes first. None once the attempts are spent."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = _base_delay(max(attempts - 1, 0))
    return timedelta(seconds=base + base // 4)


def _base_delay(retries: int) -> int:
    return min(10 * 2**retries, 3600)


def process_event(event_id: str, *, force: bool = False, fatal: Callable[[Exception], object] | None = None) -> str:
    """Apply the stored event `event_id`; returns its new status, or "skipped".

    An event already processed or ignored is left alone unless `force` (a deliberate replay; the guarded
    upsert makes re-applying an old state harmless). Skipped: unknown id, or another worker holds it.
    An error for which `fatal` answers something true (a bad key: every event would fail alike; a message
    will do) is raised to the caller instead of being recorded: the event is left as it was, no attempt
    counted. An error while recording a failure (the database) is raised too.
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()
            if event is None:
                return SKIPPED
            if event.status in DONE and not force:
                return event.status
            status = apply_handlers(event)
            _mark(event, status)
    except Exception as error:
        if fatal is not None and fatal(error):
            raise
        _record_failure(event_id, error)
        return Status.FAILED
    return status


def apply_handlers(event: WebhookEvent, *, mirror: bool = True) -> str:
    """Run the event's handlers; its status once they ran. Without `mirror` (a newer state of the same object
    follows in the batch), the handlers that only mirror the object are left out."""
    handlers = handlers_for(event.type)
    for handler in handlers:
        if mirror or not getattr(handler, "mirrors_event_object", False):
            handler(event)
    return Status.PROCESSED if handlers else Status.IGNORED


def _mark(event: WebhookEvent, status: str) -> None:
    now = timezone.now()
    WebhookEvent.objects.filter(pk=event.pk).update(**done_fields(status, now))
    announce_done(event, status, now)


def done_fields(status: str, now) -> dict[str, object]:
    """The columns of an event its handlers just applied (`status`: processed or ignored)."""
    return {
        "status": status,
        "attempts": F("attempts") + 1,
        "error": "",
        "traceback": "",
        "processed_at": now,
        "next_attempt_at": None,
    }


def announce_done(event: WebhookEvent, status: str, now) -> None:
    """Bring the instance in line with its row, and send webhook_event_processed once the transaction commits."""
    event.status, event.attempts, event.processed_at = status, event.attempts + 1, now
    event.error = event.traceback = ""
    if status == Status.PROCESSED:
        # send_robust: once committed the event is applied; a receiver that raises is logged (django.dispatch),
        # it must not turn the event into a failed one that the retry would apply a second time.
        transaction.on_commit(partial(webhook_event_processed.send_robust, sender=WebhookEvent, event=event))


def _record_failure(event_id: str, error: Exception) -> None:
    """Keep the error and traceback on the event (in a new transaction: the failed one rolled back)."""
    log_failure(event_id, error)
    event = WebhookEvent.objects.filter(pk=event_id)
    attempts = (event.values_list("attempts", flat=True).first() or 0) + 1
    event.update(**failure_fields(attempts, error, traceback.format_exc()))


def log_failure(event_id: str, error: Exception) -> None:
    logger.warning("Stripe event %s failed: %s", event_id, error.__class__.__name__, exc_info=error)


def failure_fields(attempts: int, error: Exception, trace: str) -> dict[str, object]:
    """The columns of an event whose `attempts`-th try just failed: its error, and when it is due again."""
    wait = due_again_after(attempts)
    return {
        "status": Status.FAILED,
        "attempts": F("attempts") + 1,
        "error": f"{error.__class__.__name__}: {error}"[:MAX_ERROR_CHARS],
        "traceback": trace,
        "next_attempt_at": timezone.now() + wait if wait is not None else None,
    }
