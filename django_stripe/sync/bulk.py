"""The guarded upsert for a whole page of fetched objects: a few statements per page, not per row.

The rules are upsert.py's, decided for the page at once:

* a new id is inserted; one that a webhook worker inserted meanwhile is judged against that worker's row;
* a row older than the page is overwritten;
* a tombstone is final: skipped;
* a row newer than the page is left alone (stale), unless the page says the object ended (a cancelled
  subscription): then the row-at-a-time upsert flips its flag and keeps its newer data;
* a row stamped with the page's very second is a tie: the row-at-a-time upsert settles it (identical
  data: nothing to do; different: fetch the object once), as for webhooks.

On PostgreSQL one set-based statement (sync/set_upsert.py) inserts the new rows and overwrites the older
ones, and names them; the few rows it left alone (tombstones, newer rows, ties) are then read, locked, to be
judged. Elsewhere (SQLite) one locking SELECT of (id, synced_at, deleted) judges the page first, then
INSERT ... ON CONFLICT DO NOTHING RETURNING id writes the new ids (one that a concurrent insert beat goes
through the row-at-a-time upsert) and one bulk INSERT ... ON CONFLICT DO UPDATE the older rows.

Subscriptions bring their items (upserted in one statement, the ones no longer listed tombstoned; those
Stripe did not embed are listed from it) and the `customer_subscriptions_changed` signal, like the
row-at-a-time path; schedules bring their phases (replaced as a set, sync/phases.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from .. import models
from . import set_upsert
from .items import ITEM_COLUMNS, item_columns, items_of, subscriptions_changed
from .mappers import Payload
from .phases import replace_phases
from .set_upsert import Row
from .upsert import MIRRORS, Outcome, columns_for, upsert


@dataclass
class PageCounts:
    """What a page did to the mirror."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0

    def add(self, outcome: Outcome, n: int = 1) -> None:
        setattr(self, str(outcome), getattr(self, str(outcome)) + n)

    def merge(self, other: PageCounts) -> None:
        for name in ("created", "updated", "unchanged", "stale"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Verdict(Enum):
    NEW = "new"
    OLDER = "older"
    STALE = "stale"
    ONE_BY_ONE = "one_by_one"


RowState = tuple[datetime | None, bool]
"""A mirrored row's (synced_at, deleted)."""


def verdict(state: RowState | None, row: Row) -> Verdict:
    """What the page does with `row`, given the mirrored row's state (None: no row)."""
    if state is None:
        return Verdict.NEW
    row_synced_at, deleted = state
    if deleted:
        return Verdict.STALE
    if row_synced_at is None or row_synced_at < row["synced_at"]:
        return Verdict.OLDER
    if row_synced_at == row["synced_at"] or row["deleted"]:
        return Verdict.ONE_BY_ONE
    return Verdict.STALE


def write_page(model: type[Model], payloads: list[Payload], synced_at: datetime) -> PageCounts:
    """Upsert `payloads` (objects of `model` as Stripe listed them at `synced_at`) in the caller's transaction."""
    counts = PageCounts()
    rows = page_rows(model, payloads, synced_at)
    if not rows:
        return counts
    with transaction.atomic(savepoint=False):
        write = _write_set_based if set_upsert.supported(model) else _write_planned
        written, one_by_one = write(model, rows, counts)
        if model is models.Subscription:
            write_items(written, synced_at)
        elif model is models.SubscriptionSchedule:
            replace_phases((row["id"], row["stripe_data"]) for row in written)
        for payload in one_by_one:
            counts.add(upsert(model, payload, synced_at))
    return counts


def page_rows(model: type[Model], payloads: list[Payload], synced_at: datetime) -> list[Row]:
    """The page's rows, one per id (Stripe never lists an object twice, but a page must not conflict with itself)."""
    spec = MIRRORS[model]
    rows: dict[str, Row] = {}
    for payload in payloads:
        if payload["id"] not in rows:
            rows[payload["id"]] = {"id": payload["id"], "synced_at": synced_at, **columns_for(spec, payload, False)}
    return list(rows.values())


def locked_states(model: type[Model], ids: list[str]) -> dict[str, RowState]:
    """(synced_at, deleted) of the mirrored rows among `ids`, locked until the transaction ends."""
    # Locked in id order, as upsert.py locks, so that a webhook worker and the backfill cannot deadlock.
    query = model.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk")
    return {row_id: (at, deleted) for row_id, at, deleted in query.values_list("id", "synced_at", "deleted")}


# -- PostgreSQL: one set-based statement ------------------------------------------------------------------


def _write_set_based(model: type[Model], rows: list[Row], counts: PageCounts) -> tuple[list[Row], list[Payload]]:
    written = set_upsert.upsert_rows(model, rows)
    created = sum(written.values())
    counts.created += created
    counts.updated += len(written) - created
    left = [row for row in rows if row["id"] not in written]
    states = locked_states(model, [row["id"] for row in left]) if left else {}
    one_by_one = []
    for row in left:
        if verdict(states.get(row["id"]), row) is Verdict.STALE:
            counts.stale += 1
        else:  # a tie, or a newer row whose object the page says ended: the row-at-a-time upsert decides
            one_by_one.append(row["stripe_data"])
    return [row for row in rows if row["id"] in written], one_by_one


# -- elsewhere: judged first, then written ----------------------------------------------------------------


@dataclass
class _Plan:
    new: list[Row] = field(default_factory=list)
    older: list[Row] = field(default_factory=list)
    one_by_one: list[Payload] = field(default_factory=list)
    skipped: int = 0


def _write_planned(model: type[Model], rows: list[Row], counts: PageCounts) -> tuple[list[Row], list[Payload]]:
    plan = _plan(model, rows)
    counts.stale += plan.skipped
    inserted = insert_new(model, [model(**row) for row in plan.new])
    counts.created += len(inserted)
    if plan.older:
        model.objects.bulk_create(
            [model(**row) for row in plan.older],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=_columns(model),
        )
        counts.updated += len(plan.older)
    racing = [row["stripe_data"] for row in plan.new if row["id"] not in inserted]
    return [row for row in plan.new if row["id"] in inserted] + plan.older, plan.one_by_one + racing


def _plan(model: type[Model], rows: list[Row]) -> _Plan:
    states = locked_states(model, [row["id"] for row in rows])
    plan = _Plan()
    for row in rows:
        found = verdict(states.get(row["id"]), row)
        if found is Verdict.NEW:
            plan.new.append(row)
        elif found is Verdict.OLDER:
            plan.older.append(row)
        elif found is Verdict.ONE_BY_ONE:
            plan.one_by_one.append(row["stripe_data"])
        else:
            plan.skipped += 1
    return plan


def _columns(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


def insert_new(model: type[Model], objs: list[Model]) -> set[str]:
    """INSERT the rows, skipping ids that exist by now; returns the ids this statement inserted.

    Sorted by id, so that concurrent inserts of overlapping pages take their locks in the same order.
    """
    if not objs:
        return set()
    objs = sorted(objs, key=lambda obj: obj.pk)
    using = router.db_for_write(model)
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=using)
    if connections[using].features.can_return_rows_from_bulk_insert:
        rows = compiler.execute_sql(returning_fields=[model._meta.pk])
        # A lone row that a concurrent insert beat comes back as [None] (Django fetches one row for one object).
        return {row[0] for row in rows if row}
    before = set(model.objects.filter(pk__in=[obj.pk for obj in objs]).values_list("pk", flat=True))
    compiler.execute_sql(returning_fields=None)
    return {obj.pk for obj in objs} - before


# Subscription items follow their subscription, as in items.write_subscription_items.


def write_items(subscriptions: list[Row], synced_at: datetime) -> None:
    """Upsert the items of the subscriptions just written; tombstone those no longer on them."""
    if not subscriptions:
        return
    rows: list[Row] = []
    complete: list[str] = []
    for subscription in subscriptions:
        payload = subscription["stripe_data"]
        items, listed_all = items_of(payload, subscription["deleted"])
        rows.extend(
            {"id": item["id"], "synced_at": synced_at, **item_columns(item, payload, subscription["deleted"])}
            for item in items
        )
        if listed_all:  # a partial list cannot say what was removed
            complete.append(subscription["id"])
    _upsert_items(rows)
    if complete:
        models.SubscriptionItem.objects.filter(subscription_id__in=complete, deleted=False).exclude(
            pk__in=[row["id"] for row in rows]
        ).update(deleted=True, synced_at=synced_at)
    subscriptions_changed({subscription["customer_id"] for subscription in subscriptions})


def _upsert_items(rows: list[Row]) -> None:
    """Every item row overwritten (they are written under their subscription's lock, which just moved forward)."""
    if set_upsert.supported(models.SubscriptionItem):
        set_upsert.upsert_rows(models.SubscriptionItem, rows, guarded=False)
    elif rows:
        models.SubscriptionItem.objects.bulk_create(
            [models.SubscriptionItem(**row) for row in sorted(rows, key=lambda row: row["id"])],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=ITEM_COLUMNS,
        )
