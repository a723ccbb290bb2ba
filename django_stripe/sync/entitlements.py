"""A customer's entitlement set: each summary Stripe sends is the whole set, and replaces the mirrored one.

The guard is the upsert's (upsert.py), applied to the set rather than to one row: a summary older than the
newest one applied is stale, and two different summaries of the same second are settled by reading the set
from Stripe. The set's stamp is its `EntitlementSummary` row, since the set may be empty.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from .. import models
from . import mappers
from .fetch import fetch_active_entitlements
from .mappers import Payload
from .sql import advisory_lock
from .upsert import Outcome

ENTITLEMENT_COLUMNS = [field.name for field in models.ActiveEntitlement._meta.concrete_fields if not field.primary_key]


def replace_entitlements(customer_id: str, entitlements: list[Payload], synced_at: datetime) -> Outcome:
    """Make the customer's live entitlements exactly `entitlements` (the whole set, never a part of it),
    unless a newer summary was applied."""
    with transaction.atomic(savepoint=False):
        # The rows may not exist yet, so the customer's set is locked by key rather than by row.
        advisory_lock(f"django_stripe.entitlements:{customer_id}")
        newest = _newest_summary(customer_id)
        if newest and synced_at < newest:
            return Outcome.STALE
        if newest and synced_at == newest:
            if _live_set(customer_id) == {entitlement["id"]: entitlement for entitlement in entitlements}:
                return Outcome.UNCHANGED
            entitlements, stripe_time = fetch_active_entitlements(customer_id)
            synced_at = max(synced_at, stripe_time)
        _write_entitlements(customer_id, entitlements, synced_at)
        return Outcome.UPDATED if newest else Outcome.CREATED


def replace_entitlements_from_stripe(customer_id: str, not_before: datetime) -> Outcome:
    """Read the customer's whole set from Stripe and make it the mirrored one: for a summary whose list
    Stripe cut (`has_more`). Writing the part it carries would leave revoked entitlements active."""
    entitlements, stripe_time = fetch_active_entitlements(customer_id)
    return replace_entitlements(customer_id, entitlements, max(not_before, stripe_time))


def _newest_summary(customer_id: str) -> datetime | None:
    """When the customer's newest summary was applied (None: never)."""
    return models.EntitlementSummary.objects.filter(customer_id=customer_id).values_list("synced_at", flat=True).first()


def _live_set(customer_id: str) -> dict[str, Payload]:
    """The customer's mirrored live entitlements, as their payloads by id."""
    return dict(
        models.ActiveEntitlement.objects.filter(customer_id=customer_id, deleted=False).values_list("id", "stripe_data")
    )


def _write_entitlements(customer_id: str, entitlements: list[Payload], synced_at: datetime) -> None:
    rows = [
        models.ActiveEntitlement(
            id=payload["id"], synced_at=synced_at, **mappers.map_active_entitlement(payload, customer_id)
        )
        for payload in sorted(entitlements, key=lambda payload: payload["id"])
    ]
    models.ActiveEntitlement.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["id"], update_fields=ENTITLEMENT_COLUMNS
    )
    models.ActiveEntitlement.objects.filter(customer_id=customer_id, deleted=False).exclude(
        pk__in=[row.id for row in rows]
    ).update(deleted=True, synced_at=synced_at)
    models.EntitlementSummary.objects.bulk_create(
        [models.EntitlementSummary(customer_id=customer_id, synced_at=synced_at)],
        update_conflicts=True,
        unique_fields=["customer_id"],
        update_fields=["synced_at"],
    )
