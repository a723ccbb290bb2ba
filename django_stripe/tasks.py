"""Celery tasks: thin wrappers over webhooks/processing.py.

`process_webhook_event` acknowledges late (a worker killed mid-event leaves the message to be delivered
again) and retries failures with exponential backoff. `sweep_webhook_events`, run periodically by
celery beat, re-enqueues events that were stored but never got processed (broker down at the time,
worker killed) and failed events whose retry never came (it could not be published, or Celery ran
eagerly): a stored event is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice

from celery import shared_task
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from .models import WebhookEvent
from .webhooks.batches import BATCH_SIZE, process_batch
from .webhooks.processing import MAX_ATTEMPTS, MAX_RETRIES, process_event, retry_delay

logger = logging.getLogger(__name__)

# A failed publish is retried briefly, then given up: the request must answer Stripe fast, and the
# sweeper will enqueue the stored event later.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# An event the sweeper sent is given this many times its waiting time to be consumed before it is sent
# again: a backlog the workers are still draining is not sent a second time at every sweep.
RESEND_FACTOR = 10


@shared_task(
    bind=True,
    name="django_stripe.process_webhook_event",
    acks_late=True,
    reject_on_worker_lost=True,
    # A backstop only: retries go by the event's own attempts (below), which this chain may not have
    # counted when the failure could not even be recorded.
    max_retries=MAX_RETRIES,
)
def process_webhook_event(self, event_id: str) -> str:
    """Apply one stored event; a failure is kept on the event and retried with backoff."""
    try:
        status = process_event(event_id)
    except Exception as error:
        # The failure could not even be recorded: the database connection died mid-event (process_event keeps
        # every other error on the event). Retry all the same, rather than leave the event to the sweeper.
        logger.warning("Stripe event %s: processing interrupted (%s), retrying", event_id, error.__class__.__name__)
        status = WebhookEvent.Status.FAILED
    # Eagerly (in the request) a retry would run at once, in a loop: the failure stays recorded instead,
    # for the sweeper and `stripe_process_events --failed`.
    if status == WebhookEvent.Status.FAILED and not self.request.is_eager:
        countdown = retry_countdown(event_id, self.request.retries)
        if countdown is not None:
            raise self.retry(countdown=countdown)
    return status


def retry_countdown(event_id: str, retries: int) -> int | None:
    """Seconds before the failed event's next try, or None once its attempts are spent.

    Counted by the event's attempts, as `next_attempt_at` and the sweeper count them, and not by this
    message's `retries`: an event the sweeper sent again starts a new chain of messages, and would
    otherwise be tried MAX_ATTEMPTS more times. `retries` only stands in while the database is away.
    """
    try:
        attempts = WebhookEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first()
    except DatabaseError:
        attempts = retries + 1
    if attempts is None or attempts >= MAX_ATTEMPTS:
        return None
    return retry_delay(max(attempts - 1, 0))


@shared_task(
    bind=True,
    name="django_stripe.process_webhook_events",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def process_webhook_events(self, event_ids: list[str]) -> dict[str, int]:
    """Apply a batch of stored events in one transaction (webhooks/batches.py); how many ended in each status.
    An event that failed is retried on its own, on the backoff schedule of `process_webhook_event`."""
    try:
        outcome = process_batch(event_ids)
    except Exception as error:
        # The database went away mid-batch: the claim rolled back and every event is pending again.
        logger.warning("Stripe events batch interrupted (%s), retrying", error.__class__.__name__)
        if self.request.is_eager:
            return {}
        raise self.retry(countdown=retry_delay(self.request.retries)) from error
    if not self.request.is_eager:  # eagerly the failures stay recorded, as for one event
        for event_id in outcome.get(WebhookEvent.Status.FAILED, ()):
            countdown = retry_countdown(event_id, 0)
            if countdown is not None:
                publish(process_webhook_event, event_id, countdown=countdown)
    return {status: len(ids) for status, ids in outcome.items()}


def publish(task, *args: object, retry: bool = True, **options: object) -> bool:
    """Send a task message, retrying the broker briefly unless `retry` is False; never raises. False when the
    broker could not be reached: what was to be sent is left to the sweeper (or the dispatcher's next try)."""
    try:
        task.apply_async(args, retry=retry, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except Exception as error:  # the broker's errors vary with the transport (kombu, redis, socket)
        logger.warning("Stripe events stored but not enqueued (%s): they will be sent again", error)
        return False
    return True


def _unmark(event_ids: list[str]) -> None:
    """Nothing of these events is in the queue: let the next sweep send them, not one `RESEND_FACTOR` later."""
    try:
        WebhookEvent.objects.filter(pk__in=event_ids).update(enqueued_at=None)
    except DatabaseError as error:
        logger.warning("Stripe events: could not clear enqueued_at (%s)", error)


def enqueue_events(event_ids: Iterable[str], *, retry: bool = True) -> int:
    """Send events to the workers in the given order, BATCH_SIZE to a message, marking when; returns how many
    were sent. `retry=False` gives up on the broker at its first refusal (the caller retries on its own).

    Each batch is marked before it is sent: marked after, the UPDATE's row locks could make a worker that
    already has one of the events skip it (SKIP LOCKED, as for a duplicate) and drop it. Stops at the first
    batch the broker refuses: it is down, and that batch and the rest are left to the sweeper, unmarked.
    """
    sent = 0
    for batch in _batches(event_ids, BATCH_SIZE):
        WebhookEvent.objects.filter(pk__in=batch).update(enqueued_at=timezone.now())
        if not publish(process_webhook_events, batch, retry=retry):
            _unmark(batch)
            return sent
        sent += len(batch)
    return sent


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def due_events(older_than: timedelta, resend_after: timedelta):
    """Events the workers should have had by now, unless sent to them within `resend_after`:

    * pending ones received more than `older_than` ago (the broker was down, a worker died mid-event);
    * failed ones with attempts left, due again more than `older_than` ago: their retry could not be
      published (a broker blip while retrying), or Celery ran eagerly, which never retries.
    """
    now = timezone.now()
    Status = WebhookEvent.Status
    waiting = Q(status=Status.PENDING, received_at__lt=now - older_than)
    retry_due = Q(status=Status.FAILED, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lt=now - older_than)
    not_just_sent = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - resend_after)
    return WebhookEvent.objects.filter(waiting | retry_due).filter(not_just_sent)


@shared_task(name="django_stripe.sweep_webhook_events")
def sweep_webhook_events(
    older_than_seconds: int = 60, limit: int = 1000, resend_after_seconds: int | None = None
) -> int:
    """Re-enqueue events left pending, and failed ones whose retry is overdue; returns how many were sent.

    An event sent within `resend_after_seconds` (default: `RESEND_FACTOR` times `older_than_seconds`) is
    left alone: it is probably waiting in a busy queue. Processing stays idempotent, so an event that was
    merely slow in the queue is at worst skipped by the second worker.
    """
    if resend_after_seconds is None:
        resend_after_seconds = RESEND_FACTOR * older_than_seconds
    due = due_events(timedelta(seconds=older_than_seconds), timedelta(seconds=resend_after_seconds))
    event_ids = list(due.order_by("created").values_list("id", flat=True)[:limit])
    sent = enqueue_events(event_ids)
    if event_ids:
        logger.info("Stripe webhook sweeper: %d of %d unfinished events enqueued", sent, len(event_ids))
    return sent


# The backfill and the Events-API catch-up (sync/backfill.py, sync/catchup.py). Both are resumable and
# idempotent, so celery beat may run them on a schedule; imported lazily because the catch-up goes through
# the webhook endpoint's module, which imports this one.


@shared_task(name="django_stripe.backfill")
def backfill_stripe_objects(types: list[str] | None = None, restart: bool = False) -> dict[str, dict]:
    """Backfill `types` (default: all, in dependency order): resumes a pass in progress, else starts a new
    one, which also tombstones what Stripe no longer lists. Scheduled nightly, it is the full reconcile."""
    from .sync.backfill import backfill

    return {result.name: result.as_dict() for result in backfill(types, restart=restart)}


@shared_task(name="django_stripe.catch_up_events")
def catch_up_events() -> dict[str, object]:
    """Store and process the events the webhooks missed (listed from the Events API)."""
    from .sync.catchup import catch_up

    return catch_up().as_dict()
