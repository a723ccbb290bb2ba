"""Subscription schedules and their phases: the changes Stripe will make to a subscription at set dates.

A schedule is mirrored like any Stripe object; its phases have no id at Stripe, so they are rows of their own
keyed by their position, replaced as a set whenever the schedule's row moves forward (sync/phases.py). What a
subscription will change to is read from them (`scheduled_changes`), never from the schedule's payload, so that
a list of subscriptions reads the changes of all of them in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict

from django.db import models
from django.db.models import F

from .base import StripeObject, stripe_relation

SCHEDULED_CHANGE_ATTR = "_scheduled_change"
"""Where `prefetch_scheduled_changes` keeps a subscription's change on its row (None included)."""


class ScheduledChange(TypedDict):
    """What a subscription changes to, and when: the first item of its schedule's next phase."""

    price: str
    quantity: int | None
    """None for a metered price (Stripe counts no quantity for it)."""
    at: datetime


class SubscriptionSchedule(StripeObject):
    stripe_object_name = "subscription_schedule"

    customer = stripe_relation("django_stripe.Customer", "subscription_schedules")
    # The subscription the schedule governs; once released, the one it governed (`released_subscription`), so
    # that a subscription's past schedules stay linked to it.
    subscription = stripe_relation("django_stripe.Subscription", "schedules")
    status = models.CharField(max_length=32)
    end_behavior = models.CharField(max_length=32, blank=True)
    current_phase_start = models.DateTimeField(null=True, blank=True)
    current_phase_end = models.DateTimeField(null=True, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_subscription_schedule"
        indexes = [models.Index(fields=["subscription", "status"], name="djstripe_sched_sub_idx")]


class SubscriptionSchedulePhase(models.Model):
    """One phase of a schedule, at its place in the schedule's `phases`: its dates and its items."""

    schedule = models.ForeignKey(SubscriptionSchedule, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveIntegerField()
    start_date = models.DateTimeField()
    end_date = models.DateTimeField(null=True, blank=True)
    items = models.JSONField(default=list, blank=True)
    """`[{"price": id, "quantity": n}]`, in the phase's order."""

    class Meta:
        db_table = "django_stripe_subscription_schedule_phase"
        ordering = ("schedule", "position")
        constraints = [models.UniqueConstraint(fields=["schedule", "position"], name="djstripe_phase_position")]

    def __str__(self) -> str:
        return f"{self.schedule_id} phase {self.position}"


def scheduled_changes(subscription_ids: Iterable[str]) -> dict[str, ScheduledChange]:
    """The scheduled change of each of `subscription_ids` that has one, in one query (none for no ids).

    A change is the first phase that starts at or after the end of the current phase of an active schedule of
    the subscription; its first item is the change. The schedule's own row says which subscription it governs
    and whether it is active, so the answer does not wait for the subscription's `updated` event."""
    ids = sorted(set(subscription_ids))
    if not ids:
        return {}
    phases = (
        SubscriptionSchedulePhase.objects.filter(
            schedule__subscription_id__in=ids,
            schedule__status="active",
            schedule__deleted=False,
            start_date__gte=F("schedule__current_phase_end"),
        )
        .order_by("schedule__subscription_id", "start_date", "position")
        .values_list("schedule__subscription_id", "start_date", "items")
    )
    changes: dict[str, ScheduledChange] = {}
    for subscription_id, start_date, items in phases:
        if subscription_id not in changes and items:
            first = items[0]
            changes[subscription_id] = {"price": first["price"], "quantity": first.get("quantity"), "at": start_date}
    return changes


def prefetch_scheduled_changes(subscriptions: Iterable[models.Model]) -> None:
    """Read the scheduled changes of `subscriptions` (Subscription rows) in one query and keep each on its row, so that
    `scheduled_change()` then costs none: for a list of subscriptions."""
    rows = list(subscriptions)
    changes = scheduled_changes(row.id for row in rows)
    for row in rows:
        row.__dict__[SCHEDULED_CHANGE_ATTR] = changes.get(row.id)
