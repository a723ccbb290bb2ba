"""The retry schedule of a failed event, and the sweeper's query: when an event is due to be tried again.

An event is tried at most MAX_ATTEMPTS times without anyone asking: its first try, then retries on an
exponential backoff. The task retries a failure itself (`retry_countdown`); the failure also records when the
event is due again (`due_again_after`), so that the sweeper (`due_events`) sends it if that retry never came.
Both count the event's own attempts, kept on its row, and not a chain of messages: an event the sweeper sent
again is not given a fresh set of tries.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import WebhookEvent

MAX_RETRIES = 8
MAX_ATTEMPTS = MAX_RETRIES + 1
"""How many times an event is tried without anyone asking (the first try and its retries)."""

RESEND_FACTOR = 10
"""An event the sweeper sent is given this many times its waiting time to be consumed before it is sent
again: a backlog the workers are still draining is not sent a second time at every sweep."""


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


def due_events(older_than: timedelta, resend_after: timedelta) -> QuerySet[WebhookEvent]:
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
