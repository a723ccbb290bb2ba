"""A subscription's items: they follow their subscription, written under its lock, from its payload.

The row-at-a-time upsert (upsert.py) writes them for the subscription it just wrote, the page write
(bulk.py) for a page of subscriptions; both map them here and tell the access cache, after commit, whose
subscriptions changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction

from .. import models
from ..signals import customer_subscriptions_changed
from . import mappers
from .change import Change
from .fetch import fetch_subscription_items
from .mappers import Payload

ITEM_COLUMNS = [field.name for field in models.SubscriptionItem._meta.concrete_fields if not field.primary_key]


def write_subscription_items(change: Change) -> None:
    """Upsert the items of the subscription just written, and tombstone the ones no longer in it."""
    if change.payload is None:
        models.SubscriptionItem.objects.filter(subscription_id=change.row_id, deleted=False).update(
            deleted=True, synced_at=change.synced_at
        )
    else:
        _upsert_items(change)
    subscriptions_changed({change.columns.get("customer_id")})


def items_of(payload: Payload, ended: bool) -> tuple[list[Payload], bool]:
    """A subscription's items, and whether they are all of them (so the mirrored ones not among them were
    removed). Stripe embeds only the first ones (`has_more`): the rest are listed from Stripe, unless the
    subscription ended (its items all end with it) or is gone there (then the missing ones are left as they are).
    """
    items = mappers.subscription_items(payload)
    if ended or not (payload.get("items") or {}).get("has_more"):
        return items, True
    listed = fetch_subscription_items(payload["id"])
    return (listed, True) if listed is not None else (items, False)


def item_columns(item: Payload, subscription: Payload, ended: bool) -> dict[str, Any]:
    """An item's columns; the items of an ended subscription are tombstones, whatever the item says."""
    columns = mappers.map_subscription_item(item, subscription)
    columns["deleted"] = bool(ended or columns["deleted"])
    return columns


def _upsert_items(change: Change) -> None:
    payload = change.payload or {}
    ended = change.columns["deleted"]
    items, complete = items_of(payload, ended)
    rows = [
        models.SubscriptionItem(id=item["id"], synced_at=change.synced_at, **item_columns(item, payload, ended))
        # Sorted by id so that PostgreSQL takes the row locks of an INSERT ... ON CONFLICT in a stable order.
        for item in sorted(items, key=lambda item: item["id"])
    ]
    if rows:
        models.SubscriptionItem.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["id"], update_fields=ITEM_COLUMNS
        )
    if complete:  # a partial list cannot say what was removed
        models.SubscriptionItem.objects.filter(subscription_id=change.row_id, deleted=False).exclude(
            pk__in=[row.id for row in rows]
        ).update(deleted=True, synced_at=change.synced_at)


def subscriptions_changed(customer_ids: Iterable[str | None]) -> None:
    """Tell the access cache, after commit, whose subscriptions the sync just changed."""
    for customer_id in sorted(filter(None, set(customer_ids))):
        # send_robust: the sync is committed by then; a receiver that raises (the access cache's Redis down) is
        # logged, and must not fail the event that was applied (it would be marked failed and applied again).
        transaction.on_commit(
            partial(customer_subscriptions_changed.send_robust, sender=models.Subscription, customer_id=customer_id)
        )
