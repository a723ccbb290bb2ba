"""Segments: a type's backfill pass split by `created` ranges, walked in parallel, each with its own cursor.

A pass starts as ONE segment with open bounds (everything Stripe lists). Each segment is walked newest first
(Stripe's order) with `created[gte]`/`created[lt]` filters and its own `starting_after`, and each page is
written in one transaction with its segment row (cursor, count, lowest page stamp). No origin (the oldest
`created`) has to be known: a segment splits itself by the density it sees. When a page is full (more follow)
and the rest of the segment, [created_gte, the page's oldest `created`], spans more than `CHUNK_PAGES` (20) pages
at that page's density, the segment keeps only that chunk (its `created_gte` is raised, in the transaction of
the page) and the rest becomes a new segment, which the next free thread or worker takes and splits in turn.
A dense segment is therefore split again as soon as it shows it is dense, and a sparse one is walked whole.

Exactness: ranges are half-open, disjoint and together cover every `created`; the raised bound is never above
the page's oldest `created`, so the objects after the cursor that share that second stay in the segment (its
cursor object is still in its filtered list), and the new segment holds only objects older than the bound, none
fetched yet. So every listed object is written once and counted once, however a pass is split or resumed.

Objects created after a segment's first page are not in it (an open upper bound lists them, but it is walked
newest first from its start, like the one-stream pass): their webhooks mirror them, stamped after the pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import models
from .bulk import PageCounts, write_page
from .paging import PAGE_SIZE, Page, fetch_page
from .sql import commit_without_waiting_for_disk
from .stamps import stamp_of

CHUNK_PAGES = 20
"""A segment that splits keeps about this many pages (at the density of its page) and hands off the rest.
Each segment ends in a partial page, so this costs about one request in CHUNK_PAGES more than one stream."""


_SQLITE_TURN = threading.RLock()


@contextmanager
def database_turn() -> Iterator[None]:
    """Around the database work of a segment's thread. SQLite has one writer, and its in-memory database (the
    tests') answers "table is locked" at once instead of waiting: on SQLite the threads of a process take
    turns at the database (only their requests to Stripe overlap, which is the point of the threads)."""
    if connection.vendor == "sqlite":
        with _SQLITE_TURN:
            yield
    else:
        yield


class SegmentConflict(RuntimeError):
    """Another thread or worker moved this segment's cursor: this one stops rather than interleave."""


@dataclass
class SegmentPage:
    """What one committed page of a segment did."""

    fetched: int
    counts: PageCounts
    split_off: int | None
    """The id of the segment split off by this page, if any."""


def start_segments(name: str) -> list[int]:
    """A new pass of `name` as one open segment (the segments of any earlier pass go); its id."""
    models.BackfillSegment.objects.filter(object_type=name).delete()
    return [models.BackfillSegment.objects.create(object_type=name).pk]


def has_segments(name: str) -> bool:
    return models.BackfillSegment.objects.filter(object_type=name).exists()


def pending_segments(name: str, exclude: Collection[int] = (), limit: int | None = None) -> list[int]:
    """The ids of the type's segments not yet complete, newest range first (the order of a one-stream pass)."""
    query = models.BackfillSegment.objects.filter(object_type=name, completed_at=None).exclude(pk__in=exclude)
    ids = query.order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def pass_stamp(name: str) -> datetime | None:
    """The lowest page stamp of the type's segments: the pass's start, as tombstoning needs it."""
    stamps = models.BackfillSegment.objects.filter(object_type=name).exclude(pass_started_at=None)
    return min(stamps.values_list("pass_started_at", flat=True), default=None)


def walk_segment(
    segment_id: int,
    path: str,
    params: dict[str, Any],
    model: type,
    *,
    split: bool = True,
    on_page: Callable[[SegmentPage], None] = lambda page: None,
    stopping: Callable[[], bool] = lambda: False,
) -> None:
    """Walk one segment to its end (or until `stopping()`), a page per transaction; `split=False` never splits
    (one thread: a split would only add requests)."""
    with database_turn():
        segment = models.BackfillSegment.objects.get(pk=segment_id)
    while segment.completed_at is None and not stopping():
        page = _fetch(segment, path, params)
        with database_turn():
            committed = _commit(segment, page, model, _split_point(segment, page) if split else None)
        on_page(committed)


def _fetch(segment: models.BackfillSegment, path: str, params: dict[str, Any]) -> Page:
    try:
        return fetch_page(path, segment_params(segment, params))
    except stripe.InvalidRequestError as error:
        if not (segment.starting_after and error.param == "starting_after"):
            raise
        # The cursor's object is gone at Stripe: walk this segment again from its top (its rows are rewritten by
        # the guarded upsert, unchanged; only this segment's count of the run counts them again).
        with database_turn():
            models.BackfillSegment.objects.filter(pk=segment.pk).update(starting_after="", synced_count=0)
        segment.starting_after, segment.synced_count = "", 0
        return fetch_page(path, segment_params(segment, params))


def segment_params(segment: models.BackfillSegment, params: dict[str, Any]) -> dict[str, Any]:
    """The list parameters of the segment's next page."""
    page_params = {**params, "limit": PAGE_SIZE}
    created = {"gte": segment.created_gte, "lt": segment.created_lt}
    created = {bound: value for bound, value in created.items() if value is not None}
    if created:
        page_params["created"] = created  # sent as created[gte]=..&created[lt]=..
    if segment.starting_after:
        page_params["starting_after"] = segment.starting_after
    return page_params


def _split_point(segment: models.BackfillSegment, page: Page) -> int | None:
    """The `created` from which the segment keeps its rest, the older part becoming a new segment; None: no split."""
    if not (page.has_more and page.data):
        return None
    newest, oldest = int(page.data[0]["created"]), int(page.data[-1]["created"])
    # Seconds per page at this page's density (at least one: `created` is in whole seconds).
    chunk = CHUNK_PAGES * max(newest - oldest, 1)
    bound = oldest - chunk
    if segment.created_gte is not None and bound <= segment.created_gte:
        return None  # the rest is a chunk already
    return bound


def _commit(segment: models.BackfillSegment, page: Page, model: type, split_at: int | None) -> SegmentPage:
    """Write the page and move the segment (cursor, count, stamp, and a split) in one transaction."""
    moved = {
        "starting_after": page.last_id or segment.starting_after,
        "synced_count": segment.synced_count + len(page.data),
        "pass_started_at": min(segment.pass_started_at or page.stamp, page.stamp),
        "created_gte": split_at if split_at is not None else segment.created_gte,
        "completed_at": None if page.has_more and page.data else stamp_of(None),
    }
    gte = Q(created_gte=None) if segment.created_gte is None else Q(created_gte=segment.created_gte)
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost:
            commit_without_waiting_for_disk()  # a page can be fetched again (as in backfill.commit_page)
        # One UPDATE checks that the segment is where this walk left it and moves it; its row lock holds another
        # walker of the segment back until this page commits (that one then finds it moved and stops).
        current = models.BackfillSegment.objects.filter(gte, pk=segment.pk, starting_after=segment.starting_after)
        if not current.update(**moved, updated_at=timezone.now()):
            raise SegmentConflict(f"another backfill is walking segment {segment}")
        split_off = None
        if split_at is not None:
            split_off = models.BackfillSegment.objects.create(
                object_type=segment.object_type, created_gte=segment.created_gte, created_lt=split_at
            ).pk
        counts = write_page(model, page.data, page.stamp)
    for name, value in moved.items():
        setattr(segment, name, value)
    return SegmentPage(len(page.data), counts, split_off)
