"""The usage outbox: each `payments.report_usage` call is one row here, written in the caller's transaction,
and sent to Stripe's meter events by the workers (`usage/sending.py`).

Not a mirror of a Stripe object: the library's own record of what it owes Stripe. The identifier is Stripe's
deduplication key, so a row sent twice (a worker killed after Stripe answered) is counted once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Count, Min
from django.utils import timezone


def new_identifier() -> str:
    """A fresh deduplication key for a report made without one."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class OutboxHealth:
    """The outbox's state: what waits to be sent, since when, and what Stripe refused."""

    now: datetime
    pending: int
    oldest_pending_created_at: datetime | None
    refused: int

    @property
    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest pending row was reported."""
        if self.oldest_pending_created_at is None:
            return None
        return max((self.now - self.oldest_pending_created_at).total_seconds(), 0.0)

    def as_dict(self) -> dict[str, object]:
        age = self.oldest_pending_age
        return {"pending": self.pending, "oldest_pending_age_seconds": age and round(age, 1), "refused": self.refused}


class UsageReportQuerySet(models.QuerySet):
    def health(self) -> OutboxHealth:
        """The pending and refused rows counted, the oldest pending found: one query, on the state index."""
        states = {
            row["state"]: row
            for row in self.filter(state__in=[UsageReport.State.PENDING, UsageReport.State.REFUSED])
            .values("state")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
            .order_by()
        }
        pending, refused = states.get(UsageReport.State.PENDING, {}), states.get(UsageReport.State.REFUSED, {})
        return OutboxHealth(timezone.now(), pending.get("count", 0), pending.get("oldest"), refused.get("count", 0))


class UsageReport(models.Model):
    """One meter event to send: `value` of `event_name` for the customer `customer_id`, at `timestamp`."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        REFUSED = "refused"

    id = models.BigAutoField(primary_key=True)
    customer_id = models.CharField(max_length=255, db_index=True)
    billable = models.CharField(max_length=255, help_text="The billable that reported it (app_label.model:pk).")
    event_name = models.CharField(max_length=100)
    value = models.BigIntegerField()
    identifier = models.CharField(
        max_length=100, unique=True, default=new_identifier, help_text="Stripe's deduplication key."
    )
    timestamp = models.DateTimeField(help_text="When the usage happened (the meter event's timestamp).")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When the row may be sent (again).")
    refusal_reason = models.TextField(blank=True, help_text="Stripe's reason, when it refused the event.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = UsageReportQuerySet.as_manager()

    class Meta:
        db_table = "django_stripe_usage_report"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="djstripe_usage_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_name} {self.value} for {self.customer_id} ({self.state})"
