"""Catch-up: the Events API as a second delivery path, for the webhooks that never arrived.

Each run lists the events created since the newest one the previous complete run saw (minus an
overlap, because an event can show up in the list a little after its `created` second) and stores the
new ones in the ledger beside the delivered ones (`ledger.store_event`: unique by id, so an event already
received by webhook or by an earlier run is skipped). Stripe lists events newest first; they are stored page
by page as they come (flat memory), then enqueued for the same processing as a delivered webhook oldest
first, read back from the ledger in the reverse order of their storing. The guarded upsert would mirror them
right in any order; the order is for what acts on events rather than states (your handlers, the
`webhook_event_processed` receivers, linking a checkout's customer), which then see them as Stripe made them.

The high-water mark is the `SyncCursor` named "events" (`starting_after`: the newest event's id,
`pass_started_at`: its `created`). It moves only when a walk completes, so a run that dies half way is
simply done again (duplicates cost one skipped insert each). It is deliberately not the newest
`WebhookEvent`: webhooks arriving again after an outage would move that past the events that were lost.
Without a mark (first run) every event Stripe still lists is read (Stripe keeps 30 days).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from .. import models
from ..sync.paging import iter_pages
from ..sync.stamps import stamp_of
from . import handlers as _builtin_handlers  # noqa: F401  (registers the built-in handlers: what is stored)
from .ledger import store_event
from .queue import enqueue_events
from .registry import handlers_for

EVENTS_CURSOR = "events"
OVERLAP = timedelta(minutes=5)


@dataclass
class CatchUpResult:
    listed: int = 0
    stored: int = 0
    """New events, stored and enqueued for processing."""
    known: int = 0
    """Already stored (received by webhook, or by an earlier catch-up)."""
    unhandled: int = 0
    """Of types no handler applies; not stored, as no webhook endpoint needs to receive them."""
    since: datetime | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "listed": self.listed,
            "stored": self.stored,
            "known": self.known,
            "unhandled": self.unhandled,
            "since": self.since.isoformat() if self.since else None,
            "seconds": round(self.seconds, 3),
        }


def catch_up(
    *, since: datetime | None = None, progress: Callable[[CatchUpResult], None] | None = None
) -> CatchUpResult:
    """Store and enqueue every event created since `since` (default: the mark of the last run, minus the
    overlap) that is not stored yet."""
    cursor, _ = models.SyncCursor.objects.get_or_create(object_type=EVENTS_CURSOR)
    if since is None and cursor.pass_started_at is not None:
        since = cursor.pass_started_at - OVERLAP
    result = CatchUpResult(since=since)
    run_started = timezone.now()
    params = {"created": {"gte": int(since.timestamp())}} if since else {}
    newest: tuple[int, str] | None = None
    for page in iter_pages("/v1/events", params):
        for event in page.data:
            result.listed += 1
            newest = newest or (event["created"], event["id"])  # the list is newest first
            if not handlers_for(event["type"]):
                result.unhandled += 1
            elif store_event(event):
                result.stored += 1
            else:
                result.known += 1
        result.seconds = time.monotonic() - result.started
        if progress:
            progress(result)
    enqueue_events(stored_since(run_started))
    _advance(cursor, newest, result.stored)
    result.seconds = time.monotonic() - result.started
    return result


def stored_since(moment: datetime):
    """Pending events stored from `moment` on, oldest at Stripe first: the walk stored them newest first."""
    pending = models.WebhookEvent.objects.filter(status=models.WebhookEvent.Status.PENDING, received_at__gte=moment)
    return pending.order_by("-received_at").values_list("id", flat=True).iterator()


def _advance(cursor: models.SyncCursor, newest: tuple[int, str] | None, stored: int) -> None:
    """Move the mark forward (never back: a run given an old `since` must not rewind it)."""
    if newest is not None:
        created = datetime.fromtimestamp(newest[0], tz=UTC)
        if cursor.pass_started_at is None or created > cursor.pass_started_at:
            cursor.pass_started_at, cursor.starting_after = created, newest[1]
    cursor.completed_at = stamp_of(None)
    cursor.synced_count += stored
    cursor.save()
