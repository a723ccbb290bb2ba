"""Retention: delete the events the ledger no longer needs, without holding up the endpoint.

Only processed and ignored events are deleted: a pending or failed one is work still to do (or to look at).
The ledger's row is also what makes a second delivery of an event a no-op (its id is the key), so an event
pruned and then delivered again is applied again; Stripe retries a delivery for up to three days, hence the
default of 30 and the command's warning below 3.

The rows go in batches, each its own short transaction, oldest first by the (status, received_at) index. A batch
starts where the previous one ended (keyset: `received_at` at least the last one deleted), so none walks again
over the index entries of the rows already deleted. On PostgreSQL a batch is one statement, whose rows are locked
with SKIP LOCKED: a row a worker holds (an event being replayed) is left for the next run rather than waited for,
and the endpoint's inserts, which touch no existing row, never wait on a batch. Its commit does not wait for the
disk: a batch lost in a crash of the database is deleted by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from ..models import WebhookEvent
from ..sync.sql import commit_without_waiting_for_disk

Status = WebhookEvent.Status
PRUNABLE = (Status.PROCESSED, Status.IGNORED)
BATCH_SIZE = 10_000
STRIPE_RETRY_WINDOW = timedelta(days=3)
"""How long Stripe keeps retrying a delivery: an event pruned sooner may come again and be applied again."""


@dataclass
class PruneResult:
    cutoff: datetime
    deleted: dict[str, int] = field(default_factory=lambda: {status: 0 for status in PRUNABLE})
    batches: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "deleted": dict(self.deleted),
            "total": self.total,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }


def prunable(cutoff: datetime) -> QuerySet[WebhookEvent]:
    """The events a prune at `cutoff` deletes: processed or ignored, received before it."""
    return WebhookEvent.objects.filter(status__in=PRUNABLE, received_at__lt=cutoff)


def count_prunable(cutoff: datetime) -> dict[str, int]:
    """How many events of each prunable status a prune at `cutoff` would delete (a dry run)."""
    counts = dict(prunable(cutoff).values_list("status").annotate(count=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in PRUNABLE}


def prune_events(
    older_than: timedelta,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[PruneResult], None] | None = None,
) -> PruneResult:
    """Delete the processed and ignored events received more than `older_than` ago, `batch_size` at a time."""
    started = time.monotonic()
    result = PruneResult(cutoff=timezone.now() - older_than)
    for status in PRUNABLE:
        after: datetime | None = None
        while True:
            deleted, after = delete_batch(status, result.cutoff, after, batch_size)
            result.deleted[status] += deleted
            result.batches += deleted > 0
            result.seconds = time.monotonic() - started
            if progress and deleted:
                progress(result)
            if deleted < batch_size:
                break
    return result


def delete_batch(status: str, cutoff: datetime, after: datetime | None, size: int) -> tuple[int, datetime | None]:
    """Delete up to `size` events of `status` received before `cutoff` (and not before `after`), oldest first, in
    a transaction of their own: how many, and the newest `received_at` among them (where the next batch starts)."""
    connection = connections[router.db_for_write(WebhookEvent)]
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            commit_without_waiting_for_disk(connection.alias)
            return _delete_batch_postgresql(connection, status, cutoff, after, size)
        return _delete_batch_orm(status, cutoff, after, size)


def _delete_batch_postgresql(connection, status: str, cutoff: datetime, after: datetime | None, size: int):
    table = connection.ops.quote_name(WebhookEvent._meta.db_table)
    since = "AND received_at >= %s" if after is not None else ""
    sql = f"""
        WITH doomed AS (
            SELECT id FROM {table} WHERE status = %s AND received_at < %s {since}
            ORDER BY received_at LIMIT %s FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM {table} AS event USING doomed WHERE event.id = doomed.id RETURNING event.received_at
        )
        SELECT count(*), max(received_at) FROM gone
    """
    params = [status, cutoff, *([after] if after is not None else []), size]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        deleted, newest = cursor.fetchone()
    return deleted, newest or after


def _delete_batch_orm(status: str, cutoff: datetime, after: datetime | None, size: int):
    """Elsewhere (SQLite: one writer at a time, no row locks to skip), the same in two statements."""
    batch = WebhookEvent.objects.filter(status=status, received_at__lt=cutoff)
    if after is not None:
        batch = batch.filter(received_at__gte=after)
    oldest = batch.order_by("received_at")[:size]
    received = list(oldest.values_list("received_at", flat=True))
    if not received:
        return 0, after
    # By a subquery rather than a list of ids: SQLite caps a statement's parameters.
    deleted, _ = WebhookEvent.objects.filter(pk__in=oldest.values("pk")).delete()
    return deleted, max(received)
