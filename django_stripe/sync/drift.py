"""Drift: how the mirror differs from Stripe, read page by page as the backfill reads it, writing nothing.

Each type is listed as its backfill lists it (`OBJECT_TYPES`, sync/paging.py: the same pages, the same backoff),
each object mapped to columns by the mappers the writes use, and compared with its row: an object Stripe lists
and the mirror lacks, a field whose value differs (in the payload the row keeps, or in a column derived from
it), a tombstone of an object Stripe still lists live; and, where absence from a list means deletion (as the
backfill's tombstones have it), a live row Stripe no longer lists.

What moves without an event is not compared (`SILENT_FIELDS`): no webhook can bring it to a mirror, so a
difference there is no drift. A row stamped after the page was read holds a newer state than the page (a webhook
applied meanwhile) and is not compared either; nor is a row written after the check started counted missing at
Stripe. The ids Stripe listed are held in memory until the type's end (to find what it no longer lists): some
tens of bytes each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils import timezone

from .. import models
from ..ratelimit import bulk_requests
from .backfill import NOT_ON_A_TEST_CLOCK, ObjectType, customer_batches, customer_list, key_livemode, resolve_types
from .mappers import Payload, map_active_entitlement
from .paging import iter_pages
from .upsert import MIRRORS, columns_for

SILENT_FIELDS = frozenset({"next_invoice_sequence"})
"""Fields Stripe changes without sending an event (a customer's invoice numbering moves with each invoice)."""

NOT_COMPARED_COLUMNS = frozenset({"stripe_data", "deleted"})
"""stripe_data is compared field by field; deleted on its own."""


@dataclass(frozen=True)
class FieldDifference:
    name: str
    mirror: Any
    stripe: Any

    def describe(self) -> str:
        return f"{self.name}: mirror {shown(self.mirror)}, Stripe {shown(self.stripe)}"


@dataclass(frozen=True)
class Difference:
    type_name: str
    object_id: str
    kind: str
    """"missing in the mirror", "missing at Stripe", "deleted in the mirror", "deleted at Stripe", or "differs"."""
    fields: tuple[FieldDifference, ...] = ()

    def describe(self) -> str:
        detail = "; ".join(difference.describe() for difference in self.fields)
        return f"{self.type_name} {self.object_id}: {detail if self.kind == 'differs' else self.kind}"


@dataclass
class DriftResult:
    """One type's comparison: how many objects Stripe listed, and what differs."""

    name: str
    listed: int = 0
    newer_in_mirror: int = 0
    differences: list[Difference] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(difference.kind == kind for difference in self.differences)

    def as_dict(self) -> dict[str, Any]:
        return {
            "listed": self.listed,
            "newer_in_mirror": self.newer_in_mirror,
            "differences": [difference.describe() for difference in self.differences],
        }


Found = Callable[[Difference], None]
"""Called with each difference as it is found (the command prints it at once)."""


def shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_drift(types: list[str] | None = None, *, found: Found | None = None) -> list[DriftResult]:
    """Compare the given types (default: all, in dependency order) with Stripe."""
    return [check_type(object_type, found or (lambda difference: None)) for object_type in resolve_types(types)]


def check_type(object_type: ObjectType, found: Found) -> DriftResult:
    # Walking every page is bulk traffic, as the backfill's is: it leaves the app's own requests their share.
    with bulk_requests():
        return _check_type(object_type, found)


def _check_type(object_type: ObjectType, found: Found) -> DriftResult:
    started = timezone.now()
    result = DriftResult(object_type.name)

    def report(difference: Difference) -> None:
        result.differences.append(difference)
        found(difference)

    if object_type.per_customer:
        _check_per_customer(object_type, result, report)
    else:
        seen: set[str] = set()
        for page in iter_pages(object_type.path, object_type.params):
            seen.update(payload["id"] for payload in page.data)
            _compare_page(object_type, page.data, page.stamp, result, report)
        if object_type.absence_deletes:
            for object_id in _unlisted(object_type.model, seen, started):
                report(Difference(object_type.name, object_id, "missing at Stripe"))
    return result


def _compare_page(
    object_type: ObjectType,
    payloads: list[Payload],
    stamp: datetime,
    result: DriftResult,
    report: Found,
    customer_id: str | None = None,
) -> None:
    rows = object_type.model.objects.in_bulk([payload["id"] for payload in payloads])
    for payload in payloads:
        result.listed += 1
        row = rows.get(payload["id"])
        if row is not None and row.synced_at is not None and row.synced_at > stamp:
            result.newer_in_mirror += 1  # a webhook applied a later state than the page's meanwhile
            continue
        difference = compare(object_type, payload, row, customer_id)
        if difference is not None:
            report(difference)


def compare(object_type: ObjectType, payload: Payload, row: Model | None, customer_id: str | None) -> Difference | None:
    """How the row differs from Stripe's `payload`, or None."""
    name, object_id = object_type.name, payload["id"]
    if row is None:
        return Difference(name, object_id, "missing in the mirror")
    expected = expected_columns(object_type.model, payload, customer_id)
    if row.deleted != expected["deleted"]:
        return Difference(name, object_id, "deleted in the mirror" if row.deleted else "deleted at Stripe")
    fields = payload_differences(row.stripe_data or {}, payload)
    named = {difference.name for difference in fields}
    fields += [
        FieldDifference(column, getattr(row, column), value)
        for column, value in expected.items()
        if column not in NOT_COMPARED_COLUMNS and column not in named and getattr(row, column) != value
    ]
    return Difference(name, object_id, "differs", tuple(fields)) if fields else None


def expected_columns(model: type[Model], payload: Payload, customer_id: str | None) -> dict[str, Any]:
    """The columns the mirror's writes would give the row for `payload`."""
    if model is models.ActiveEntitlement:
        return map_active_entitlement(payload, customer_id or "")
    return columns_for(MIRRORS[model], payload, False)


def payload_differences(mirror: Payload, stripe: Payload) -> list[FieldDifference]:
    """The top-level fields whose values differ (a field only one side has counts), but the silent ones."""
    names = sorted((set(mirror) | set(stripe)) - SILENT_FIELDS)
    return [
        FieldDifference(name, mirror.get(name), stripe.get(name))
        for name in names
        if mirror.get(name) != stripe.get(name)
    ]


def _unlisted(model: type[Model], seen: set[str], started: datetime) -> Iterator[str]:
    """Live rows of the key's mode, written before the check started, that Stripe did not list. Objects on a test
    clock are not listed without their clock, so their absence says nothing (as for the backfill's tombstones)."""
    live = (
        model.objects.filter(deleted=False, livemode=key_livemode(), synced_at__lt=started)
        .filter(NOT_ON_A_TEST_CLOCK)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (object_id for object_id in live.iterator(chunk_size=2000) if object_id not in seen)


def _check_per_customer(object_type: ObjectType, result: DriftResult, report: Found) -> None:
    """Each mirrored customer's list against their rows; what they hold that Stripe does not list is missing
    there (a payment method detached, an entitlement gone)."""
    for batch in customer_batches(""):
        for customer_id in batch:
            payloads, stamp = customer_list(object_type, customer_id)
            stamp = stamp or timezone.now()
            _compare_page(object_type, payloads, stamp, result, report, customer_id)
            listed = {payload["id"] for payload in payloads}
            # Not a row written after the page was read (a webhook's attach meanwhile); one of the same second is
            # compared, as a listed object of that second is.
            held = object_type.model.objects.filter(customer_id=customer_id, deleted=False, synced_at__lte=stamp)
            for object_id in held.order_by("pk").values_list("pk", flat=True):
                if object_id not in listed:
                    report(Difference(object_type.name, object_id, "missing at Stripe"))
