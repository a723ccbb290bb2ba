"""Celery tasks: thin wrappers over webhooks/processing.py.

`process_webhook_event` acknowledges late (a worker killed mid-event leaves the message to be delivered
again) and retries failures with exponential backoff. `sweep_webhook_events`, run periodically by
celery beat, re-enqueues events that were stored but never got processed (broker down at the time,
worker killed): a stored event is never lost.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from .models import WebhookEvent
from .webhooks.processing import process_event

logger = logging.getLogger(__name__)

MAX_RETRIES = 8
# A failed publish is retried briefly, then given up: the request must answer Stripe fast, and the
# sweeper will enqueue the stored event later.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 10 s, 20 s, 40 s... capped at 1 hour, with jitter."""
    base = min(10 * 2**retries, 3600)
    return base + random.randint(0, base // 4)


@shared_task(
    bind=True,
    name="django_stripe.process_webhook_event",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def process_webhook_event(self, event_id: str) -> str:
    """Apply one stored event; a failure is kept on the event and retried with backoff."""
    try:
        status = process_event(event_id)
    except Exception as error:
        # The failure could not even be recorded: the database connection died mid-event (process_event keeps
        # every other error on the event). Retry all the same: the sweeper only re-sends pending events, so an
        # event already marked failed by an earlier attempt would otherwise wait for a manual replay.
        logger.warning("Stripe event %s: processing interrupted (%s), retrying", event_id, error.__class__.__name__)
        status = WebhookEvent.Status.FAILED
    # Eagerly (in the request) a retry would run at once, in a loop: the failure stays recorded instead,
    # for `stripe_process_events --failed`.
    if status == WebhookEvent.Status.FAILED and not self.request.is_eager and self.request.retries < MAX_RETRIES:
        raise self.retry(countdown=retry_delay(self.request.retries))
    return status


def enqueue_event(event_id: str) -> bool:
    """Send the event to the workers (or process it now when Celery is eager). Never raises.

    Returns False when the broker could not be reached: the event stays pending for the sweeper.
    """
    try:
        process_webhook_event.apply_async((event_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as error:  # the broker's errors vary with the transport (kombu, redis, socket)
        logger.warning("Stripe event %s stored but not enqueued (%s): the sweeper will retry", event_id, error)
        return False
    return True


def unfinished_events(older_than: timedelta):
    """Events received more than `older_than` ago and still waiting to be applied."""
    waiting = Q(status=WebhookEvent.Status.PENDING) | Q(status=WebhookEvent.Status.PROCESSING)
    return WebhookEvent.objects.filter(waiting, received_at__lt=timezone.now() - older_than)


@shared_task(name="django_stripe.sweep_webhook_events")
def sweep_webhook_events(older_than_seconds: int = 60, limit: int = 1000) -> int:
    """Re-enqueue events left pending; returns how many were sent. Processing stays idempotent, so an
    event that is merely slow in the queue is at worst skipped by the second worker."""
    event_ids = list(
        unfinished_events(timedelta(seconds=older_than_seconds))
        .order_by("created")
        .values_list("id", flat=True)[:limit]
    )
    sent = sum(enqueue_event(event_id) for event_id in event_ids)
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
