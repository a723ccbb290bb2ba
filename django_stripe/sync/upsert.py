"""The guarded upsert: Stripe states -> mirror rows, so that the mirror converges whatever the order.

Rules, applied under a row lock (PostgreSQL) so that concurrent workers see one another's writes:

* a row only moves forward: a state stamped before the row's `synced_at` changes nothing (stale);
* a tombstone is final: once deleted, no later state brings the object back; a deletion always lands,
  because at Stripe nothing follows it; a deletion known by its id alone (Stripe's answer to a DELETE, a
  404) only sets the flag, and leaves a tombstone row even for an object not mirrored yet;
* two different states stamped with the same second are not guessed between: the object is fetched from
  Stripe once, and what Stripe holds now is written.

Every write happens in the caller's transaction (or its own), with no savepoint: inserts use
ON CONFLICT DO NOTHING, so no IntegrityError can abort it. Lock order is always the object, then its
children (subscription items, written by items.py; a schedule's phases, phases.py), so two workers cannot
deadlock on one subscription.
A customer's entitlement set, which has no single row to guard, is entitlements.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Model

from .. import models
from . import mappers
from .change import Change
from .fetch import fetch_object
from .items import write_subscription_items
from .mappers import Payload
from .phases import write_schedule_phases
from .sql import insert_ignore

logger = logging.getLogger(__name__)

# A subscription in one of these statuses has ended for good at Stripe; the mirror keeps it as a
# tombstone (status still readable), so that a late `updated` cannot reopen it.
FINAL_SUBSCRIPTION_STATUSES = frozenset({"canceled", "incomplete_expired"})


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"

    @property
    def changed(self) -> bool:
        return self in (Outcome.CREATED, Outcome.UPDATED)


@dataclass(frozen=True)
class MirrorSpec:
    object_name: str
    mapper: Callable[[Payload], dict[str, Any]]
    is_final: Callable[[dict[str, Any]], bool] = lambda columns: False
    after_write: Callable[[Change], None] = lambda change: None


def columns_for(spec: MirrorSpec, payload: Payload, deleted: bool) -> dict[str, Any]:
    columns = spec.mapper(payload)
    columns["deleted"] = bool(deleted or columns["deleted"] or spec.is_final(columns))
    return columns


def upsert(
    model: type[Model], payload: Payload, synced_at: datetime, *, deleted: bool = False, fresh: bool = False
) -> Outcome:
    """Write `payload` (the state of a `model` object at `synced_at`) unless the mirror holds a newer one.

    `deleted` marks the state as a deletion (a `*.deleted` event). `fresh` says the payload was just read
    from Stripe, so it wins a same-second tie without another fetch.
    """
    spec = MIRRORS[model]
    row_id = payload["id"]
    if is_deletion_stub(payload):
        # Stripe's answer to a DELETE carries no state: mapped, it would blank the row's columns and data.
        return tombstone(model, row_id, synced_at)
    columns = columns_for(spec, payload, deleted)
    with transaction.atomic(savepoint=False):
        row = _locked_row(model, row_id)
        if row is None:
            if insert_ignore(model(id=row_id, synced_at=synced_at, **columns)):
                spec.after_write(Change(row_id, columns, payload, synced_at))
                return Outcome.CREATED
            row = _locked_row(model, row_id)  # another worker inserted it first: judge against theirs
        return _update(spec, row, payload, columns, synced_at, fresh)


def _locked_row(model: type[Model], row_id: str) -> Any:
    return model.objects.select_for_update().filter(pk=row_id).first()


def is_deletion_stub(payload: Payload) -> bool:
    """Whether `payload` is only `{id, object, deleted: true}`, what Stripe answers to a DELETE."""
    return payload.get("deleted") is True and set(payload) <= {"id", "object", "deleted"}


def _update(
    spec: MirrorSpec, row: Any, payload: Payload, columns: dict[str, Any], synced_at: datetime, fresh: bool
) -> Outcome:
    if row.deleted:
        if is_deletion_stub(row.stripe_data):
            # A tombstone made from an id alone holds no data: the first real state fills it in, still deleted.
            when = max(synced_at, row.synced_at or synced_at)
            return _write(spec, row, {**columns, "deleted": True}, payload, when)
        return Outcome.STALE
    if columns["deleted"] and row.synced_at and synced_at < row.synced_at:
        # A deletion is final even when an update was stamped later (clock granularity): flip the flag
        # but keep the newer data.
        return _write(spec, row, {"deleted": True}, None, row.synced_at)
    if not columns["deleted"] and row.synced_at:
        if synced_at < row.synced_at:
            return Outcome.STALE
        if synced_at == row.synced_at:
            if row.stripe_data == payload:
                return Outcome.UNCHANGED
            if not fresh:
                return _settle_tie(spec, row, synced_at)
        elif row.stripe_data == payload:
            # The same state seen later (a refresh, a repeated read): stamped, so that an older state arriving
            # now is stale, and its items refetched as any write does, yet nothing in it changed.
            _write(spec, row, columns, payload, synced_at)
            return Outcome.UNCHANGED
    return _write(spec, row, columns, payload, synced_at)


def _settle_tie(spec: MirrorSpec, row: Any, synced_at: datetime) -> Outcome:
    """Two states of the same second: ask Stripe which one is current instead of guessing."""
    fetched = fetch_object(spec.object_name, row.id)
    when = max(synced_at, fetched.stripe_time or synced_at)
    logger.debug("same-second states of %s: fetched from Stripe", row.id)
    if fetched.payload is None or fetched.payload.get("deleted"):
        return _write(spec, row, {"deleted": True}, None, when)
    if fetched.payload == row.stripe_data and when == row.synced_at:
        return Outcome.UNCHANGED
    return _write(spec, row, columns_for(spec, fetched.payload, False), fetched.payload, when)


def _write(spec: MirrorSpec, row: Any, columns: dict[str, Any], payload: Payload | None, when: datetime) -> Outcome:
    type(row).objects.filter(pk=row.id).update(synced_at=when, **columns)
    spec.after_write(Change(row.id, {"customer_id": getattr(row, "customer_id", None), **columns}, payload, when))
    return Outcome.UPDATED


def upsert_from_stripe(model: type[Model], object_id: str, not_before: datetime) -> Outcome:
    """Fetch one object from Stripe and upsert it: for events that name an object without carrying it."""
    spec = MIRRORS[model]
    fetched = fetch_object(spec.object_name, object_id)
    when = max(not_before, fetched.stripe_time or not_before)
    if fetched.payload is None:
        return tombstone(model, object_id, when)
    return upsert(model, fetched.payload, when, fresh=True)


def tombstone(model: type[Model], object_id: str, when: datetime) -> Outcome:
    """Mark an object deleted when only its id is known (Stripe answered 404, or a DELETE's stub).

    An object not mirrored yet gets a tombstone row all the same: without it, an older state delivered
    later (its `created` event, say) would create the object live.
    """
    spec = MIRRORS[model]
    with transaction.atomic(savepoint=False):
        row = _locked_row(model, object_id)
        if row is None:
            stub = {"id": object_id, "object": spec.object_name, "deleted": True}
            if insert_ignore(model(id=object_id, synced_at=when, **columns_for(spec, stub, True))):
                return Outcome.CREATED
            row = _locked_row(model, object_id)  # another worker inserted it first
        if row.deleted:
            return Outcome.UNCHANGED
        return _write(spec, row, {"deleted": True}, None, max(when, row.synced_at or when))


def _is_final_subscription(columns: dict[str, Any]) -> bool:
    return columns["status"] in FINAL_SUBSCRIPTION_STATUSES


MIRRORS: dict[type[Model], MirrorSpec] = {
    models.BillingMeter: MirrorSpec("billing.meter", mappers.map_billing_meter),
    models.Product: MirrorSpec("product", mappers.map_product),
    models.Price: MirrorSpec("price", mappers.map_price),
    models.Customer: MirrorSpec("customer", mappers.map_customer),
    models.PaymentMethod: MirrorSpec("payment_method", mappers.map_payment_method),
    models.Subscription: MirrorSpec(
        "subscription", mappers.map_subscription, _is_final_subscription, write_subscription_items
    ),
    models.SubscriptionSchedule: MirrorSpec(
        "subscription_schedule", mappers.map_subscription_schedule, after_write=write_schedule_phases
    ),
    models.Invoice: MirrorSpec("invoice", mappers.map_invoice),
}

# Stripe's `object` field -> model, for payloads that say what they are.
MODELS_BY_OBJECT: dict[str, type[Model]] = {spec.object_name: model for model, spec in MIRRORS.items()}
