"""Process one stored event: idempotent, one transaction, status and error kept on the event.

The event row is claimed (ledger.claim_event: locked with SKIP LOCKED) for the whole transaction, so two
workers handed the same event (a redelivery, the sweeper) never apply it at once: the second one skips. If the
worker dies, PostgreSQL rolls back and releases the lock; the event is still pending and the sweeper enqueues it
again.

A failure records when the event is due again (`next_attempt_at`, on the schedule of webhooks/retries.py):
the task's own retry comes by then, and the sweeper sends it again if that retry never happened.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from ..models import WebhookEvent
from ..signals import webhook_event_processed
from . import handlers as _builtin_handlers  # noqa: F401  (registers the built-in handlers)
from .ledger import attempts_of, claim_event, mark_done, mark_failed
from .registry import handlers_for
from .thin import as_snapshot, handled_type

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
DONE = (Status.PROCESSED, Status.IGNORED)
SKIPPED = "skipped"


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
            event = claim_event(event_id)
            if event is None:
                return SKIPPED
            if event.status in DONE and not force:
                return event.status
            status = apply_handlers(event)
            now = timezone.now()
            mark_done([event.pk], status, now)
            announce_done(event, status, now)
    except Exception as error:
        if fatal is not None and fatal(error):
            raise
        _record_failure(event_id, error)
        return Status.FAILED
    return status


def apply_handlers(event: WebhookEvent, *, mirror: bool = True) -> str:
    """Run the event's handlers; its status once they ran. A thin event, or a snapshot of another API version,
    is first given its object as read from Stripe (webhooks/thin.py), unless no handler would run. Without
    `mirror` (a newer state of the same object follows in the batch), the handlers that only mirror the object
    are left out."""
    handlers = handlers_for(handled_type(event.type))
    running = [handler for handler in handlers if mirror or not getattr(handler, "mirrors_event_object", False)]
    if running and as_snapshot(event) is None:  # the object is not Stripe's to give: nothing to apply
        return Status.IGNORED
    for handler in running:
        handler(event)
    return Status.PROCESSED if handlers else Status.IGNORED


def announce_done(event: WebhookEvent, status: str, now: datetime) -> None:
    """Bring the instance in line with its row, and send webhook_event_processed once the transaction commits."""
    event.status, event.attempts, event.processed_at = status, event.attempts + 1, now
    event.error = event.traceback = ""
    if status == Status.PROCESSED:
        # send_robust: once committed the event is applied; a receiver that raises is logged (django.dispatch),
        # it must not turn the event into a failed one that the retry would apply a second time.
        transaction.on_commit(partial(webhook_event_processed.send_robust, sender=WebhookEvent, event=event))


def _record_failure(event_id: str, error: Exception) -> None:
    """Keep the error and traceback on the event (in a new transaction: the failed one rolled back, so the row
    is read again for the attempts it counts)."""
    log_failure(event_id, error)
    mark_failed(event_id, attempts_of(event_id) + 1, error, traceback.format_exc())


def log_failure(event_id: str, error: Exception) -> None:
    logger.warning("Stripe event %s failed: %s", event_id, error.__class__.__name__, exc_info=error)
