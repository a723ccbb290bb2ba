"""Reporting usage: `report_usage` writes one row of the outbox (models/usage.py) in the caller's transaction,
and nothing at Stripe's; once the transaction commits, a send is scheduled (`payments/usage_sending.py` does it).

A report rolled back with its transaction leaves nothing to send. The schedule costs a commit almost nothing:
the first commit publishes one `send_usage_reports` task a short moment ahead (LINGER_SECONDS), and the commits
of that moment publish none, since the task will find their rows. Any row a send misses (the broker was down,
the process died) is still committed and pending: the beat sweep (`sweep_usage_reports`) sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone

from ..billables import billable_label, customer_id_of, is_billable
from ..exceptions import StripeCustomerMissing
from ..models import UsageReport

logger = logging.getLogger(__name__)

SEND_USAGE_REPORTS = "django_stripe.send_usage_reports"
"""The task's name: the contract with the workers, never to change."""

LINGER_SECONDS = 0.05
"""How far ahead a commit schedules the send: the reports of that moment go in its batches."""

OLDEST_TIMESTAMP = timedelta(days=35)
"""Stripe refuses meter events older than this..."""
NEWEST_TIMESTAMP = timedelta(minutes=5)
"""... or further ahead than this."""


def report_usage(
    billable,
    event_name: str,
    value: int = 1,
    identifier: str | None = None,
    timestamp: datetime | None = None,
) -> UsageReport:
    """Report `value` of the meter event `event_name` for `billable` (a user, or a row of the billable model):
    one INSERT in the caller's transaction, sent to Stripe once it commits (rolled back with it, never).

    `identifier` is Stripe's deduplication key (a fresh one by default): report the same usage twice with one
    identifier and it is one row, counted once. `timestamp` is when the usage happened (now by default; Stripe takes
    the last 35 days up to 5 minutes ahead). Raises StripeCustomerMissing for a billable without a Stripe
    customer, and ValueError for an empty event name, a value that is not a whole number >= 0, or a timestamp
    Stripe would refuse.
    """
    customer_id = customer_id_of(billable) if is_billable(billable) else None
    if not customer_id:
        raise StripeCustomerMissing("report_usage: the billable has no Stripe customer yet (create it first)")
    row = UsageReport(
        customer_id=customer_id,
        billable=billable_label(billable),
        event_name=_checked_event_name(event_name),
        value=_checked_value(value),
        timestamp=_checked_timestamp(timestamp),
        next_attempt_at=timezone.now(),
    )
    if identifier is None:
        row.save(force_insert=True)  # a fresh identifier: one INSERT, nothing around it
    else:
        row.identifier = _checked_identifier(identifier)
        # ON CONFLICT DO NOTHING: a report made again with its identifier (a request retried) is one row, not
        # an IntegrityError breaking the caller's transaction.
        UsageReport.objects.bulk_create([row], ignore_conflicts=True)
    transaction.on_commit(schedule_send)
    return row


def _checked_event_name(event_name: str) -> str:
    if not isinstance(event_name, str) or not event_name.strip() or len(event_name) > 100:
        raise ValueError("report_usage: event_name must be a meter's event name (1 to 100 characters)")
    return event_name


def _checked_value(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"report_usage: value must be a whole number >= 0, not {value!r}")
    return value


def _checked_identifier(identifier: str) -> str:
    if not isinstance(identifier, str) or not identifier or len(identifier) > 100:
        raise ValueError("report_usage: identifier must be a string of 1 to 100 characters")
    return identifier


def _checked_timestamp(timestamp: datetime | None) -> datetime:
    now = timezone.now()
    if timestamp is None:
        return now
    if timezone.is_naive(timestamp):
        raise ValueError("report_usage: timestamp must be timezone-aware")
    if not now - OLDEST_TIMESTAMP < timestamp <= now + NEWEST_TIMESTAMP:
        raise ValueError("report_usage: Stripe takes usage of the last 35 days up to 5 minutes ahead")
    return timestamp


class _SendSchedule:
    """The send this process has published and not yet seen run: a commit before its time needs no other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due_at = 0.0

    def __call__(self) -> None:
        if current_app.conf.task_always_eager:
            publish_send()
            return
        now = time.time()
        with self._lock:
            if now < self._due_at:
                return
            self._due_at = now + LINGER_SECONDS
        if not publish_send(countdown=LINGER_SECONDS):
            with self._lock:
                self._due_at = 0.0


schedule_send = _SendSchedule()


def publish_send(**options: object) -> bool:
    """Send one `send_usage_reports` message; never raises. False when the broker could not be reached (the
    rows stay pending for the sweep)."""
    try:
        current_app.tasks[SEND_USAGE_REPORTS].apply_async((), retry=False, **options)
    except Exception as error:  # the broker's errors vary with the transport (kombu, redis, socket)
        logger.warning("Usage reported but its send not scheduled (%s): the sweep will send it", error)
        return False
    return True
