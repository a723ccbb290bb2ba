"""The backfill: every object Stripe holds, page by page, into the mirror; resumable, with flat memory.

Per object type, in dependency order (`OBJECT_TYPES`), the list is read in pages of 100 (newest first,
Stripe's order) and each page is written with the bulk guarded upsert (sync/bulk.py) in ONE transaction
together with the type's `SyncCursor` (`starting_after` = the page's last id). A run that dies resumes
after the last committed page and never asks for an earlier one again. Only the current page (and the
one being fetched ahead) is in memory, whatever the number of objects.

Payment methods and entitlements are listed per customer at Stripe; their pass walks the mirrored
customers by id in batches (the cursor is the last customer done), never holding every id.

**Deletions.** Where absence from a list means the object is gone (products, prices, customers,
subscriptions listed with status=all), a completed pass tombstones the mirrored rows it did not see. Each
page's rows keep the page's own stamp (sync/stamps.py: never later than the state they hold), and the
cursor's `pass_started_at` is the lowest stamp of any page of the pass: a later page may come out stamped
earlier than the first (Stripe's servers' clocks being a little apart). So every object the pass sees is
stamped at least `pass_started_at`, or kept with a newer stamp, or is already a tombstone; and any row
written by a webhook during the pass is stamped with its event, which is no older than the pass either. A
live row still stamped before `pass_started_at` when the pass completes is one the pass never saw: Stripe
no longer lists it. This holds across a resume, because `pass_started_at` is committed with each page
(lowered when the page's stamp is lower) and kept until the pass completes. Only rows of the key's mode
(test or live) are considered, and never objects on a test clock: Stripe leaves them out of its lists
unless asked for that clock.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stripe
from django.db import connections, reset_queries, transaction
from django.db.models import Model, Q
from django.utils import timezone

from .. import models
from ..conf import key_mode, stripe_settings
from ..ratelimit import bulk_requests
from ..stripe_errors import is_missing
from . import segments
from .bulk import PageCounts, write_page
from .entitlements import replace_entitlements
from .items import subscriptions_changed
from .mappers import Payload
from .paging import Page, fetch_all, iter_pages
from .sql import commit_without_waiting_for_disk
from .stamps import stamp_of

logger = logging.getLogger(__name__)

CUSTOMER_BATCH = 100
TOMBSTONE_BATCH = 1000
# `test_clock` absent from the payload (isnull on a JSON key) or JSON null: not an object of a test clock.
NOT_ON_A_TEST_CLOCK = Q(stripe_data__test_clock__isnull=True) | Q(stripe_data__test_clock=None)


@dataclass(frozen=True)
class ObjectType:
    """One backfilled type. `per_customer` lists are read for each mirrored customer (`path` has
    `{customer}`); `absence_deletes` says that an object missing from a complete pass is gone;
    `by_created` says that Stripe filters the list by `created`, as segments need."""

    name: str
    model: type[Model]
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    absence_deletes: bool = False
    per_customer: bool = False
    by_created: bool = True

    @property
    def one_stream(self) -> bool:
        """Whether a pass is walked as one stream, never in segments."""
        return self.per_customer or not self.by_created


# Dependency order: what a later type refers to is mirrored first.
OBJECT_TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        # Absence deletes nothing: Stripe never deletes a meter, it deactivates it (and lists it still).
        # Nor does Stripe filter meters by `created`: a few per account, one stream.
        ObjectType("billing_meters", models.BillingMeter, "/v1/billing/meters", by_created=False),
        ObjectType("products", models.Product, "/v1/products", absence_deletes=True),
        ObjectType("prices", models.Price, "/v1/prices", absence_deletes=True),
        ObjectType("customers", models.Customer, "/v1/customers", absence_deletes=True),
        ObjectType(
            "payment_methods", models.PaymentMethod, "/v1/customers/{customer}/payment_methods", per_customer=True
        ),
        ObjectType("subscriptions", models.Subscription, "/v1/subscriptions", {"status": "all"}, absence_deletes=True),
        # Absence deletes nothing: a schedule is never deleted at Stripe, it ends released, canceled or completed.
        ObjectType("subscription_schedules", models.SubscriptionSchedule, "/v1/subscription_schedules"),
        ObjectType("invoices", models.Invoice, "/v1/invoices"),
        ObjectType(
            "entitlements",
            models.ActiveEntitlement,
            "/v1/entitlements/active_entitlements",
            per_customer=True,
        ),
    )
}


class UnknownObjectType(ValueError):
    pass


class BackfillConflict(RuntimeError):
    """Another backfill of the same type moved the cursor: this one stops rather than interleave."""


@dataclass
class BackfillResult:
    """What one type's run did; `total` is known ahead only for per-customer types (customers to visit)."""

    name: str
    fetched: int = 0
    pages: int = 0
    counts: PageCounts = field(default_factory=PageCounts)
    tombstoned: int = 0
    resumed_after: str = ""
    completed: bool = False
    total: int | None = None
    position: int = 0
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.fetched / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "pages": self.pages,
            "created": self.counts.created,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "stale": self.counts.stale,
            "tombstoned": self.tombstoned,
            "resumed_after": self.resumed_after,
            "completed": self.completed,
            "seconds": round(self.seconds, 3),
        }


Progress = Callable[[BackfillResult], None]
"""Called after each committed page with the type's result so far (`position` of `total`: objects for
list types, customers visited for per-customer types)."""


def resolve_types(names: list[str] | None) -> list[ObjectType]:
    """The requested types in dependency order (all of them for None or []); unknown names raise."""
    wanted = set(names or OBJECT_TYPES)
    unknown = sorted(wanted - set(OBJECT_TYPES))
    if unknown:
        raise UnknownObjectType(f"unknown type(s): {', '.join(unknown)}; choose from {', '.join(OBJECT_TYPES)}")
    return [t for name, t in OBJECT_TYPES.items() if name in wanted]


def backfill(
    types: list[str] | None = None, *, restart: bool = False, progress: Progress | None = None
) -> list[BackfillResult]:
    """Backfill the given types (default: all) in dependency order; stops at the first error."""
    return [backfill_type(t.name, restart=restart, progress=progress) for t in resolve_types(types)]


def backfill_type(
    name: str, *, restart: bool = False, progress: Progress | None = None, threads: int | None = None
) -> BackfillResult:
    """Run (or resume) the pass of one type to its end. `restart` drops a pass in progress and starts over.

    A list type is read in segments (sync/segments.py) by `threads` threads (default
    STRIPE_BACKFILL_THREADS); with one thread, or inside a transaction of the caller (other threads'
    connections would not see its rows), a new pass is one stream (a pass already in segments resumes in
    segments, in this thread). Per-customer types are one stream. All of it is bulk traffic for the limiter.
    """
    object_type = resolve_types([name])[0]
    threads = max(1, stripe_settings.STRIPE_BACKFILL_THREADS if threads is None else threads)
    if transaction.get_connection().in_atomic_block:
        threads = 1
    with bulk_requests():
        cursor = open_cursor(name, restart, segmented=threads > 1 and not object_type.one_stream)
        result = BackfillResult(name, resumed_after=cursor.starting_after)
        if segments.has_segments(name):
            _run_segments(object_type, result, progress or (lambda result: None), threads)
            cursor.pass_started_at = segments.pass_stamp(name) or cursor.pass_started_at
        else:
            run = _run_per_customer if object_type.per_customer else _run_list
            run(object_type, cursor, result, progress or (lambda result: None))
        finish_pass(object_type, cursor, result)
    result.seconds = time.monotonic() - result.started
    return result


def finish_pass(object_type: ObjectType, cursor: models.SyncCursor, result: BackfillResult) -> None:
    """The pass is complete (every segment is): tombstone what it did not see, and close the cursor."""
    if object_type.absence_deletes and cursor.pass_started_at is not None:
        result.tombstoned = tombstone_unseen(object_type.model, cursor.pass_started_at)
    cursor.save(update_fields=["pass_started_at"])
    complete_cursor(cursor)
    result.completed = True


# -- cursors ----------------------------------------------------------------------------------------------


def open_cursor(name: str, restart: bool, segmented: bool = False) -> models.SyncCursor:
    """The type's cursor, reset to a new pass unless a pass is in progress (and not `restart`).

    A new `segmented` pass is one open segment; its cursor's `pass_started_at` is set at once (our clock) to
    say a pass is in progress, and lowered to the lowest page stamp of its segments when it completes."""
    cursor, _ = models.SyncCursor.objects.get_or_create(object_type=name)
    if restart or cursor.completed_at is not None or cursor.pass_started_at is None:
        cursor.starting_after, cursor.synced_count = "", 0
        cursor.pass_started_at = cursor.completed_at = None
        models.BackfillSegment.objects.filter(object_type=name).delete()
        if segmented:
            segments.start_segments(name)
            cursor.pass_started_at = stamp_of(None)
        cursor.save()
    return cursor


def commit_page(cursor: models.SyncCursor, last_id: str, count: int, stamp: datetime, write: Callable[[], Any]) -> Any:
    """`write()` and move the cursor past `last_id`, in one transaction, if nobody else moved it.

    `stamp` is the page's: the pass's start becomes the lowest page stamp, so that no row of the pass is
    stamped before it (and tombstoned as unseen), however far apart Stripe's servers' clocks are."""
    moved = {
        "starting_after": last_id or cursor.starting_after,
        "synced_count": cursor.synced_count + count,
        "pass_started_at": min(cursor.pass_started_at or stamp, stamp),
    }
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost:
            # A page can be fetched again, so its COMMIT need not wait for the disk (a fsync a page): a crash of
            # the database loses at most the last pages, each with its cursor move, and the next run fetches
            # them again. Not inside a caller's transaction, whose other writes may not be redoable.
            commit_without_waiting_for_disk()
        # One UPDATE both checks that the cursor is where this run left it and moves it; its row lock holds
        # another run of the type back until this page commits (that run then finds the cursor moved).
        current = models.SyncCursor.objects.filter(
            pk=cursor.pk, starting_after=cursor.starting_after, pass_started_at=cursor.pass_started_at
        )
        if not current.update(**moved, updated_at=timezone.now()):
            raise BackfillConflict(f"another backfill of {cursor.object_type} is running")
        outcome = write()
    for name, value in moved.items():
        setattr(cursor, name, value)
    return outcome


def complete_cursor(cursor: models.SyncCursor) -> None:
    cursor.completed_at = stamp_of(None)
    cursor.starting_after = ""
    cursor.save(update_fields=["starting_after", "completed_at", "updated_at"])


# -- list types -------------------------------------------------------------------------------------------


def _run_list(object_type: ObjectType, cursor: models.SyncCursor, result: BackfillResult, progress: Progress) -> None:
    # closing(): a failed page stops the fetch ahead at once, not when the traceback is let go.
    with closing(_pages(object_type, cursor)) as pages:
        for page in pages:
            counts = commit_page(
                cursor,
                page.last_id or "",
                len(page.data),
                page.stamp,
                lambda page=page: write_page(object_type.model, page.data, page.stamp),
            )
            result.position += len(page.data)
            _account(result, counts, len(page.data), progress)


def _pages(object_type: ObjectType, cursor: models.SyncCursor) -> Iterator[Page]:
    try:
        yield from iter_pages(object_type.path, object_type.params, cursor.starting_after or None)
    except stripe.InvalidRequestError as error:
        if not (cursor.starting_after and error.param == "starting_after"):
            raise
        # The object the cursor names is gone at Stripe, so the list cannot continue after it: start the
        # pass over (correct, only slower; the tombstones of the pass are still right).
        logger.warning("%s: cursor %s is gone at Stripe; restarting the pass", cursor.pk, cursor.starting_after)
        open_cursor(cursor.pk, restart=True)
        cursor.refresh_from_db()
        yield from iter_pages(object_type.path, object_type.params)


def _account(result: BackfillResult, counts: PageCounts, fetched: int, progress: Progress) -> None:
    reset_queries()  # with DEBUG on, Django keeps the text of every statement: memory would grow per page
    result.counts.merge(counts)
    result.fetched += fetched
    result.pages += 1
    result.seconds = time.monotonic() - result.started
    progress(result)


# -- segments ---------------------------------------------------------------------------------------------


def _run_segments(object_type: ObjectType, result: BackfillResult, progress: Progress, threads: int) -> None:
    """Walk the type's pending segments, `threads` at a time, until none is left; the first error stops all.

    A split-off segment is started as soon as a thread is free (each worker reports it), not when its parent
    ends. Each worker thread enters `bulk_requests()` itself (it is per thread) and closes its connection."""
    if threads == 1:
        for segment_id in segments.pending_segments(object_type.name):
            segments.walk_segment(
                segment_id,
                object_type.path,
                object_type.params,
                object_type.model,
                split=False,
                on_page=lambda page: _account_segment(result, page, progress),
            )
        return
    events: queue.Queue[tuple[int | None, BaseException | None]] = queue.Queue()
    lock = threading.Lock()
    stop = threading.Event()

    def on_page(page: segments.SegmentPage) -> None:
        with lock:
            _account_segment(result, page, progress)
        if page.split_off is not None:
            events.put((None, None))  # wake the loop: a new segment is waiting

    def work(segment_id: int) -> None:
        error: BaseException | None = None
        try:
            with bulk_requests():
                segments.walk_segment(
                    segment_id,
                    object_type.path,
                    object_type.params,
                    object_type.model,
                    on_page=on_page,
                    stopping=stop.is_set,
                )
        except BaseException as exc:  # handed to the loop, which re-raises it in the caller's thread
            error = exc
        finally:
            with segments.database_turn():
                connections.close_all()  # this thread's connections only
        events.put((segment_id, error))

    in_flight: set[int] = set()
    failure: BaseException | None = None
    try:
        while True:
            if failure is None:
                with segments.database_turn():
                    pending = segments.pending_segments(object_type.name, in_flight, threads - len(in_flight))
                for segment_id in pending:
                    in_flight.add(segment_id)
                    threading.Thread(target=work, args=(segment_id,), name=f"stripe-backfill-{segment_id}").start()
            if not in_flight:
                break
            segment_id, error = events.get()
            if segment_id is not None:
                in_flight.discard(segment_id)
            if error is not None and failure is None:
                failure = error
                stop.set()
    except BaseException:
        stop.set()  # interrupted here (Ctrl-C): the threads stop after the page they are on
        raise
    if failure is not None:
        raise failure


def _account_segment(result: BackfillResult, page: segments.SegmentPage, progress: Progress) -> None:
    result.position += page.fetched
    _account(result, page.counts, page.fetched, progress)


# -- per-customer types -----------------------------------------------------------------------------------


def _run_per_customer(
    object_type: ObjectType, cursor: models.SyncCursor, result: BackfillResult, progress: Progress
) -> None:
    write = _write_entitlements if object_type.model is models.ActiveEntitlement else _write_customer_pages
    customers = mirrored_customers()
    result.total = customers.count()
    if cursor.starting_after:
        result.position = customers.filter(id__lte=cursor.starting_after).count()
        progress(result)
    for batch in customer_batches(cursor.starting_after):
        lists = [(customer_id, customer_list(object_type, customer_id)) for customer_id in batch]
        fetched = sum(len(payloads) for _, (payloads, _) in lists)
        stamp = min((stamp for _, (_, stamp) in lists if stamp), default=stamp_of(None))
        counts = commit_page(cursor, batch[-1], fetched, stamp, lambda lists=lists: write(object_type, lists))
        result.position += len(batch)
        _account(result, counts, fetched, progress)


def mirrored_customers():
    """The live mirrored customers of the key's mode: the ones whose lists Stripe can answer."""
    return models.Customer.objects.filter(deleted=False, livemode=key_livemode())


def customer_batches(after: str, size: int = CUSTOMER_BATCH) -> Iterator[list[str]]:
    """Customer ids after `after`, by id, `size` at a time (one query per batch, never all ids at once)."""
    while True:
        ids = list(mirrored_customers().filter(id__gt=after).order_by("id").values_list("id", flat=True)[:size])
        if not ids:
            return
        yield ids
        after = ids[-1]


CustomerList = tuple[list[Payload], datetime | None]


def customer_list(object_type: ObjectType, customer_id: str) -> CustomerList:
    """Everything Stripe lists for one customer (all pages), with the time of the first page; a customer
    deleted at Stripe meanwhile has nothing (its own tombstone comes from the customers pass or a webhook)."""
    path = object_type.path.format(customer=customer_id)
    params = {} if "{customer}" in object_type.path else {"customer": customer_id}
    try:
        return fetch_all(path, params)
    except stripe.InvalidRequestError as error:
        if is_missing(error):
            return [], None
        raise


def _write_customer_pages(object_type: ObjectType, lists: list[tuple[str, CustomerList]]) -> PageCounts:
    counts = PageCounts()
    by_stamp: dict[datetime, list[Payload]] = {}
    for _, (payloads, stamp) in lists:
        if stamp is not None:
            by_stamp.setdefault(stamp, []).extend(payloads)
    for stamp, payloads in sorted(by_stamp.items()):
        counts.merge(write_page(object_type.model, payloads, stamp))
    return counts


def _write_entitlements(object_type: ObjectType, lists: list[tuple[str, CustomerList]]) -> PageCounts:
    """Each customer's list is their whole set: it replaces the mirrored one (as the summary event does)."""
    counts = PageCounts()
    holding = set(
        models.ActiveEntitlement.objects.filter(customer_id__in=[c for c, _ in lists], deleted=False)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id, (payloads, stamp) in lists:
        if stamp is None or not (payloads or customer_id in holding):
            continue  # nothing at Stripe and nothing mirrored: no write
        counts.add(replace_entitlements(customer_id, payloads, stamp))
    return counts


# -- deletions --------------------------------------------------------------------------------------------


def key_livemode() -> bool:
    """Whether the configured key is a live one: a pass only speaks for objects of its own mode."""
    return key_mode(stripe_settings.STRIPE_SECRET_KEY) == "live"


def tombstone_unseen(model: type[Model], pass_started_at: datetime) -> int:
    """Tombstone the live rows that a completed pass did not see (stamped before it started).

    In batches, each its own transaction; the UPDATE repeats the condition, so a row a webhook wrote
    meanwhile (stamped after the pass started) is left alone. Objects on a test clock are not listed
    without their clock, so their absence says nothing: they are left to their webhooks.
    """
    unseen = (
        model.objects.filter(deleted=False, livemode=key_livemode())
        .filter(Q(synced_at__lt=pass_started_at) | Q(synced_at__isnull=True))
        .filter(NOT_ON_A_TEST_CLOCK)
    )
    total = 0
    while True:
        with transaction.atomic():
            # Locked (PostgreSQL), so that no webhook writes them between this SELECT and the UPDATE.
            ids = list(unseen.select_for_update().order_by("pk").values_list("pk", flat=True)[:TOMBSTONE_BATCH])
            batch = model.objects.filter(pk__in=ids)
            customers = set(batch.values_list("customer_id", flat=True)) if model is models.Subscription else set()
            total += batch.update(deleted=True, synced_at=pass_started_at)
            if model is models.Subscription:
                models.SubscriptionItem.objects.filter(subscription_id__in=ids, deleted=False).update(
                    deleted=True, synced_at=pass_started_at
                )
                subscriptions_changed(customers)
        if len(ids) < TOMBSTONE_BATCH:
            if total:
                logger.info("%s: %d rows no longer at Stripe tombstoned", model.__name__, total)
            return total


# -- segments across workers (the Celery tasks) -----------------------------------------------------------


def start_segmented_pass(name: str, restart: bool = False) -> list[int]:
    """Open (or resume) a segmented pass of a list type; the ids of its pending segments, for a task each."""
    object_type = resolve_types([name])[0]
    if object_type.one_stream:
        raise ValueError(f"{name} is listed as one stream: it has no segments")
    open_cursor(name, restart, segmented=True)
    if not segments.has_segments(name):  # a one-stream pass in progress: go on as segments from scratch
        open_cursor(name, True, segmented=True)
    return segments.pending_segments(name)


def walk_one_segment(segment_id: int, on_split: Callable[[int], None]) -> BackfillResult | None:
    """Walk one segment (a worker's share of a pass), handing each split-off segment to `on_split`; the pass's
    result when this segment was the last one and this call completed the pass, else None."""
    segment = models.BackfillSegment.objects.get(pk=segment_id)
    object_type = resolve_types([segment.object_type])[0]
    result = BackfillResult(object_type.name)

    def on_page(page: segments.SegmentPage) -> None:
        _account_segment(result, page, lambda result: None)
        if page.split_off is not None:
            on_split(page.split_off)

    with bulk_requests():
        segments.walk_segment(segment_id, object_type.path, object_type.params, object_type.model, on_page=on_page)
        with transaction.atomic():
            # Locked: of the workers finishing the last segments at once, one completes the pass.
            cursor = models.SyncCursor.objects.select_for_update().get(object_type=object_type.name)
            if cursor.completed_at is not None or segments.pending_segments(object_type.name, limit=1):
                return None
            cursor.pass_started_at = segments.pass_stamp(object_type.name) or cursor.pass_started_at
            finish_pass(object_type, cursor, result)
    result.seconds = time.monotonic() - result.started
    return result
