"""Send stored events to the workers: Celery messages of up to BATCH_SIZE ids, marked in the ledger when sent.

The tasks are published by name through the current Celery app, which is what a `shared_task` does when it is
called: eager mode, the project's app and its broker apply alike. By name and not by import, because tasks.py
imports this module (the sweeper sends through it) and webhooks/catchup.py, which sends through it too:
importing the tasks back would close a loop. Every process has them registered: the app's `ready()` imports
tasks.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice

from celery import current_app

from .batches import BATCH_SIZE
from .ledger import mark_enqueued, unmark_enqueued

logger = logging.getLogger(__name__)

# The task names: the contract with the workers and the beat schedules, never to change.
PROCESS_EVENT = "django_stripe.process_webhook_event"
PROCESS_EVENTS = "django_stripe.process_webhook_events"

# A failed publish is retried briefly, then given up: the request must answer Stripe fast, and the
# sweeper will enqueue the stored event later.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def publish(task_name: str, *args: object, retry: bool = True, **options: object) -> bool:
    """Send a task message, retrying the broker briefly unless `retry` is False; never raises. False when the
    broker could not be reached: what was to be sent is left to the sweeper (or the dispatcher's next try)."""
    try:
        current_app.tasks[task_name].apply_async(args, retry=retry, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except Exception as error:  # the broker's errors vary with the transport (kombu, redis, socket)
        logger.warning("Stripe events stored but not enqueued (%s): they will be sent again", error)
        return False
    return True


def enqueue_events(event_ids: Iterable[str], *, retry: bool = True) -> int:
    """Send events to the workers in the given order, BATCH_SIZE to a message, marking when; returns how many
    were sent. `retry=False` gives up on the broker at its first refusal (the caller retries on its own).

    Each batch is marked before it is sent: marked after, the UPDATE's row locks could make a worker that
    already has one of the events skip it (SKIP LOCKED, as for a duplicate) and drop it. Stops at the first
    batch the broker refuses: it is down, and that batch and the rest are left to the sweeper, unmarked.
    """
    sent = 0
    for batch in _batches(event_ids, BATCH_SIZE):
        mark_enqueued(batch)
        if not publish(PROCESS_EVENTS, batch, retry=retry):
            unmark_enqueued(batch)
            return sent
        sent += len(batch)
    return sent


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
