"""How the mirror is doing, read from the ledger and the cursors: what `stripe_status`, the admin's status page,
the deploy check and the Prometheus metrics all show.

A few cheap queries, whatever the size of the ledger: the pending and the failed events are counted through
the (status, received_at) index, where few rows are, and the last processed event is the newest received
among the processed ones, read from the end of that index; the processed rows themselves, the ledger's bulk,
are never counted. So it may run at every scrape of a monitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntFlag
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from ..conf import stripe_settings
from ..models import SyncCursor, WebhookEvent
from ..sync.backfill import OBJECT_TYPES
from .catchup import EVENTS_CURSOR
from .retries import MAX_ATTEMPTS

Status = WebhookEvent.Status


class Problem(IntFlag):
    """What is wrong, as the bits of `stripe_status`'s exit status."""

    PENDING_TOO_OLD = 1
    FAILED_EVENTS = 2


@dataclass(frozen=True)
class CursorState:
    """One SyncCursor: a backfill type's, or the catch-up's ("events")."""

    name: str
    position: int
    starting_after: str
    pass_started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime

    @property
    def in_progress(self) -> bool:
        return self.completed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.name,
            "position": self.position,
            "starting_after": self.starting_after,
            "in_progress": self.in_progress,
            "pass_started_at": _iso(self.pass_started_at),
            "completed_at": _iso(self.completed_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class Health:
    now: datetime
    pending: int
    oldest_pending_received_at: datetime | None
    failed: int
    failed_given_up: int
    """Failed events whose attempts are spent: no retry or sweep will try them again."""
    last_processed_at: datetime | None
    last_processed_created: datetime | None
    """When Stripe created the last processed event."""
    catch_up: CursorState | None
    backfill: list[CursorState]
    max_pending_age: float
    max_failed: int

    @property
    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest pending event was received."""
        return _seconds(self.now, self.oldest_pending_received_at)

    @property
    def lag(self) -> float | None:
        """How far behind Stripe the mirror is, in seconds: the oldest pending event's age while events wait;
        otherwise how long the last processed event took from its creation at Stripe to being applied."""
        if self.pending:
            return self.oldest_pending_age
        return _seconds(self.last_processed_at, self.last_processed_created)

    @property
    def problems(self) -> Problem:
        found = Problem(0)
        if self.pending and (self.oldest_pending_age or 0) > self.max_pending_age:
            found |= Problem.PENDING_TOO_OLD
        if self.failed > self.max_failed:
            found |= Problem.FAILED_EVENTS
        return found

    @property
    def healthy(self) -> bool:
        return not self.problems

    def problem_lines(self) -> list[str]:
        """One sentence per problem, with what to do about it."""
        lines = []
        if Problem.PENDING_TOO_OLD in self.problems:
            lines.append(
                f"{self.pending} event(s) pending, the oldest received {self.oldest_pending_age:.0f} s ago (more than "
                f"{self.max_pending_age:.0f} s): no worker is applying them. Check that a Celery worker runs and "
                "celery beat schedules the sweeper; `manage.py stripe_process_events` applies them in this process."
            )
        if Problem.FAILED_EVENTS in self.problems:
            lines.append(
                f"{self.failed} event(s) failed, {self.failed_given_up} of them after their {MAX_ATTEMPTS} attempts: "
                "see each one's error in the admin (Stripe events, status failed), fix the cause, then "
                "`manage.py stripe_process_events --failed`."
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": _iso(self.now),
            "healthy": self.healthy,
            "exit_status": int(self.problems),
            "problems": self.problem_lines(),
            "events": {
                "pending": self.pending,
                "oldest_pending_received_at": _iso(self.oldest_pending_received_at),
                "oldest_pending_age_seconds": _rounded(self.oldest_pending_age),
                "failed": self.failed,
                "failed_given_up": self.failed_given_up,
                "last_processed_at": _iso(self.last_processed_at),
                "last_processed_created": _iso(self.last_processed_created),
                "lag_seconds": _rounded(self.lag),
            },
            "thresholds": {"max_pending_age_seconds": self.max_pending_age, "max_failed": self.max_failed},
            "catch_up": self.catch_up.as_dict() if self.catch_up else None,
            "backfill": [cursor.as_dict() for cursor in self.backfill],
        }


def mirror_health(*, max_pending_age: float | None = None, max_failed: int = 0) -> Health:
    """The mirror's state now. `max_pending_age` (seconds; default STRIPE_STATUS_MAX_PENDING_AGE): a pending event
    older than that is a problem; `max_failed`: more failed events than that is one."""
    pending = WebhookEvent.objects.filter(status=Status.PENDING).aggregate(count=Count("pk"), oldest=Min("received_at"))
    failed = WebhookEvent.objects.filter(status=Status.FAILED).aggregate(
        count=Count("pk"), given_up=Count("pk", filter=Q(attempts__gte=MAX_ATTEMPTS))
    )
    last = (
        WebhookEvent.objects.filter(status=Status.PROCESSED)
        .order_by("-received_at")
        .values("processed_at", "created")
        .first()
    ) or {}
    cursors = [_cursor_state(cursor) for cursor in SyncCursor.objects.order_by("object_type")]
    return Health(
        now=timezone.now(),
        pending=pending["count"],
        oldest_pending_received_at=pending["oldest"],
        failed=failed["count"],
        failed_given_up=failed["given_up"],
        last_processed_at=last.get("processed_at"),
        last_processed_created=last.get("created"),
        catch_up=next((cursor for cursor in cursors if cursor.name == EVENTS_CURSOR), None),
        backfill=sorted((cursor for cursor in cursors if cursor.name != EVENTS_CURSOR), key=_backfill_order),
        max_pending_age=stripe_settings.STRIPE_STATUS_MAX_PENDING_AGE if max_pending_age is None else max_pending_age,
        max_failed=max_failed,
    )


def stale_pending_events(older_than: float) -> int:
    """How many events have been pending for more than `older_than` seconds (one indexed count)."""
    since = timezone.now() - timedelta(seconds=older_than)
    return WebhookEvent.objects.filter(status=Status.PENDING, received_at__lt=since).count()


def _backfill_order(cursor: CursorState) -> tuple[int, str]:
    """The backfill's own order (dependencies first), then any other cursor by name."""
    order = list(OBJECT_TYPES)
    return (order.index(cursor.name) if cursor.name in order else len(order), cursor.name)


def _cursor_state(cursor: SyncCursor) -> CursorState:
    return CursorState(
        name=cursor.object_type,
        position=cursor.synced_count,
        starting_after=cursor.starting_after,
        pass_started_at=cursor.pass_started_at,
        completed_at=cursor.completed_at,
        updated_at=cursor.updated_at,
    )


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max((later - earlier).total_seconds(), 0.0)


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
