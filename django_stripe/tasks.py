"""The Celery tasks: applying stored events, the sweeper, the backfill and the Events-API catch-up.

Each task is the Celery side of a function of its own module: it decides what a failure becomes (a retry, a
message left to the sweeper) and leaves the work to webhooks/ and sync/. `process_webhook_event(s)`
acknowledge late (a worker killed mid-event leaves the message to be delivered again) and retry failures on
the schedule of webhooks/retries.py. `sweep_webhook_events`, run periodically by celery beat, re-enqueues
events that were stored but never got processed (broker down at the time, worker killed) and failed events
whose retry never came (it could not be published, or Celery ran eagerly): a stored event is never lost.
The backfill and the catch-up are resumable and idempotent, so celery beat may run them on a schedule, and so
is `prune_events`, which deletes the processed and ignored events older than the retention.

The tasks' names never change: beat schedules name them, and webhooks/queue.py publishes by name.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .conf import stripe_settings
from .models import UsageReport, WebhookEvent
from .payments.usage_reports import SEND_USAGE_REPORTS, publish_send
from .payments.usage_sending import send_all_due
from .sync.backfill import OBJECT_TYPES, backfill, backfill_type, resolve_types, start_segmented_pass, walk_one_segment
from .sync.segments import SegmentConflict
from .webhooks.batches import process_batch
from .webhooks.catchup import catch_up
from .webhooks.processing import process_event
from .webhooks.queue import PROCESS_EVENT, PROCESS_EVENTS, enqueue_events, publish
from .webhooks.retention import prune_events
from .webhooks.retries import MAX_RETRIES, RESEND_FACTOR, due_events, retry_countdown, retry_delay

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name=PROCESS_EVENT,
    acks_late=True,
    reject_on_worker_lost=True,
    # A backstop only: retries go by the event's own attempts (retry_countdown), which this chain may not have
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


@shared_task(
    bind=True,
    name=PROCESS_EVENTS,
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
                publish(PROCESS_EVENT, event_id, countdown=countdown)
    return {status: len(ids) for status, ids in outcome.items()}


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


@shared_task(name="django_stripe.backfill")
def backfill_stripe_objects(types: list[str] | None = None, restart: bool = False) -> dict[str, dict]:
    """Backfill `types` (default: all, in dependency order): resumes a pass in progress, else starts a new
    one, which also tombstones what Stripe no longer lists. Scheduled nightly, it is the full reconcile."""
    return {result.name: result.as_dict() for result in backfill(types, restart=restart)}


@shared_task(name="django_stripe.backfill_segments")
def backfill_in_segments(types: list[str] | None = None, restart: bool = False) -> dict[str, object]:
    """Backfill `types` (default: all) with a task per segment, so that every worker shares a pass: the first
    list type's segments are enqueued, and the worker completing a type's last segment starts the next type
    (dependency order kept). Per-customer types, and those Stripe does not filter by `created`, run in the
    task that reaches them, as one stream."""
    return _start_types([t.name for t in resolve_types(types)], restart)


def _start_types(names: list[str], restart: bool = False) -> dict[str, object]:
    for index, name in enumerate(names):
        if OBJECT_TYPES[name].one_stream:
            backfill_type(name, restart=restart, threads=1)
            continue
        segment_ids = start_segmented_pass(name, restart)
        for segment_id in segment_ids:
            backfill_segment.delay(segment_id, names[index + 1 :])
        return {"started": name, "segments": len(segment_ids)}
    return {"started": None, "segments": 0}


@shared_task(name="django_stripe.backfill_segment", acks_late=True, reject_on_worker_lost=True)
def backfill_segment(segment_id: int, then: list[str] | None = None) -> dict[str, object]:
    """Walk one segment of a pass; a segment split off it is a task of its own. A worker killed mid-segment
    leaves the message to be delivered again, and it resumes after the segment's last committed page."""
    then = list(then or [])
    try:
        result = walk_one_segment(segment_id, lambda split_off: backfill_segment.delay(split_off, then))
    except SegmentConflict:
        return {"segment": segment_id, "skipped": "another worker is walking it"}
    if result is None:
        return {"segment": segment_id, "completed_pass": False}
    return {"segment": segment_id, "completed_pass": True, "pass": result.as_dict(), "next": _start_types(then)}


@shared_task(name="django_stripe.catch_up_events")
def catch_up_events() -> dict[str, object]:
    """Store and process the events the webhooks missed (listed from the Events API, webhooks/catchup.py)."""
    return catch_up().as_dict()


@shared_task(name="django_stripe.prune_events")
def prune_webhook_events(older_than_days: float | None = None) -> dict[str, object]:
    """Delete the processed and ignored events received more than `older_than_days` ago (default:
    STRIPE_EVENT_RETENTION_DAYS), in short batches (webhooks/retention.py); pending and failed ones stay."""
    days = stripe_settings.STRIPE_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    result = prune_events(timedelta(days=days))
    if result.total:
        logger.info("Stripe events: %d processed or ignored events older than %s days deleted", result.total, days)
    return result.as_dict()


@shared_task(bind=True, name=SEND_USAGE_REPORTS)
def send_usage_reports(self) -> dict[str, int]:
    """Send the usage outbox's due rows (payments/usage_sending.py); kept rows are sent again when due, by this
    task sent again to its own queue.

    Not acknowledged late: a worker killed mid-send leaves its rows pending (the claim rolls back), and the
    sweep sends them; Stripe counts a resent identifier once."""
    totals = send_all_due()
    # A run that sent or kept rows schedules the next for every row still pending: rows waiting out a backoff
    # (maybe another claim's), and due rows this run left when Stripe turned it back; otherwise no run would
    # come for them before the sweep. A run that found nothing to claim schedules nothing, so runs cannot spin.
    if (totals["kept"] or totals["sent"]) and not self.request.is_eager:
        waiting = UsageReport.objects.filter(state=UsageReport.State.PENDING)
        next_attempt = waiting.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if next_attempt is not None:
            wait = max((next_attempt - timezone.now()).total_seconds(), 0.0)
            publish_send(countdown=wait, queue=(self.request.delivery_info or {}).get("routing_key"))
    return totals


@shared_task(name="django_stripe.sweep_usage_reports")
def sweep_usage_reports() -> bool:
    """Schedule a send when the outbox has due rows (a send that was never published, or a worker killed mid-send).
    Run by celery beat, every minute or so."""
    due = UsageReport.objects.filter(state=UsageReport.State.PENDING, next_attempt_at__lte=timezone.now())
    return due.exists() and publish_send()
