"""The guarded upsert for a whole page of fetched objects: a few statements per page, not per row.

The rules are upsert.py's, decided for the page at once from one locking SELECT of (id, synced_at,
deleted):

* a new id is inserted (INSERT ... ON CONFLICT DO NOTHING RETURNING id); one that a webhook worker
  inserted meanwhile goes through the row-at-a-time upsert, which judges it against that worker's row;
* a row older than the page is overwritten by one bulk INSERT ... ON CONFLICT DO UPDATE (it is locked);
* a tombstone is final: skipped;
* a row newer than the page is left alone (stale), unless the page says the object ended (a cancelled
  subscription): then the row-at-a-time upsert flips its flag and keeps its newer data;
* a row stamped with the page's very second is a tie: the row-at-a-time upsert settles it (identical
  data: nothing to do; different: fetch the object once), as for webhooks.

Subscriptions bring their items (bulk upserted, the ones no longer listed tombstoned; those Stripe did not
embed are listed from it) and the `customer_subscriptions_changed` signal, like the row-at-a-time path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from .. import models
from ..signals import customer_subscriptions_changed
from . import mappers
from .mappers import Payload
from .upsert import ITEM_COLUMNS, MIRRORS, Outcome, columns_for, items_of, upsert


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


@dataclass
class _Plan:
    new: list[Model] = field(default_factory=list)
    older: list[Model] = field(default_factory=list)
    one_by_one: list[Payload] = field(default_factory=list)
    skipped: int = 0


def write_page(model: type[Model], payloads: list[Payload], synced_at: datetime) -> PageCounts:
    """Upsert `payloads` (objects of `model` as Stripe listed them at `synced_at`) in the caller's transaction."""
    counts = PageCounts()
    if not payloads:
        return counts
    with transaction.atomic(savepoint=False):
        plan = _plan(model, payloads, synced_at)
        counts.stale += plan.skipped
        inserted = insert_new(model, plan.new)
        written = [obj for obj in plan.new if obj.pk in inserted] + plan.older
        counts.created += len(inserted)
        if plan.older:
            model.objects.bulk_create(
                plan.older, update_conflicts=True, unique_fields=["id"], update_fields=_columns(model)
            )
            counts.updated += len(plan.older)
        if model is models.Subscription:
            write_items(written, synced_at)
        racing = [obj.stripe_data for obj in plan.new if obj.pk not in inserted]
        for payload in plan.one_by_one + racing:
            counts.add(upsert(model, payload, synced_at))
    return counts


def _plan(model: type[Model], payloads: list[Payload], synced_at: datetime) -> _Plan:
    spec = MIRRORS[model]
    ids = sorted({payload["id"] for payload in payloads})
    # Locked in id order, as upsert.py locks, so that a webhook worker and the backfill cannot deadlock.
    existing = {
        row_id: (row_synced_at, deleted)
        for row_id, row_synced_at, deleted in model.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("id", "synced_at", "deleted")
    }
    plan = _Plan()
    seen: set[str] = set()
    for payload in payloads:
        row_id = payload["id"]
        if row_id in seen:  # Stripe never lists an object twice, but a page must not conflict with itself
            continue
        seen.add(row_id)
        columns = columns_for(spec, payload, False)
        if row_id not in existing:
            plan.new.append(model(id=row_id, synced_at=synced_at, **columns))
            continue
        row_synced_at, deleted = existing[row_id]
        if deleted:
            plan.skipped += 1
        elif row_synced_at is None or row_synced_at < synced_at:
            plan.older.append(model(id=row_id, synced_at=synced_at, **columns))
        elif row_synced_at == synced_at or columns["deleted"]:
            plan.one_by_one.append(payload)
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


# Subscription items follow their subscription, as in upsert.write_subscription_items.


def write_items(subscriptions: list[Model], synced_at: datetime) -> None:
    """Upsert the items of the subscriptions just written; tombstone those no longer on them."""
    if not subscriptions:
        return
    rows: list[models.SubscriptionItem] = []
    complete: list[str] = []
    for subscription in subscriptions:
        payload = subscription.stripe_data
        items, listed_all = items_of(payload, subscription.deleted)
        for item in items:
            columns = mappers.map_subscription_item(item, payload)
            columns["deleted"] = bool(subscription.deleted or columns["deleted"])
            rows.append(models.SubscriptionItem(id=item["id"], synced_at=synced_at, **columns))
        if listed_all:  # a partial list cannot say what was removed
            complete.append(subscription.pk)
    rows.sort(key=lambda row: row.pk)
    if rows:
        models.SubscriptionItem.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["id"], update_fields=ITEM_COLUMNS
        )
    if complete:
        models.SubscriptionItem.objects.filter(subscription_id__in=complete, deleted=False).exclude(
            pk__in=[row.pk for row in rows]
        ).update(deleted=True, synced_at=synced_at)
    subscriptions_changed({subscription.customer_id for subscription in subscriptions})


def subscriptions_changed(customer_ids: set[str | None]) -> None:
    """Tell the access cache, after commit, whose subscriptions the sync just changed."""
    for customer_id in sorted(filter(None, customer_ids)):
        transaction.on_commit(  # send_robust: see upsert._subscriptions_changed
            partial(customer_subscriptions_changed.send_robust, sender=models.Subscription, customer_id=customer_id)
        )
