"""A schedule's phases: they follow their schedule, replaced as a set under its lock, from its payload.

Phases have no id at Stripe (a schedule's update sends the whole list again), so the mirrored set is the last
payload's: deleted and written again each time the schedule's row moves forward. They are only ever written
after the guarded upsert wrote their schedule (the row-at-a-time upsert, upsert.py, or a page of the backfill,
bulk.py), so an older state of the schedule, which changes nothing, leaves its phases alone too.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import models
from . import mappers
from .change import Change
from .mappers import Payload


def write_schedule_phases(change: Change) -> None:
    """Replace the phases of the schedule just written; a tombstone of an id alone keeps them (no payload)."""
    if change.payload is not None:
        replace_phases([(change.row_id, change.payload)])


def replace_phases(schedules: Iterable[tuple[str, Payload]]) -> None:
    """Replace the phases of each `(schedule id, payload)`: two statements for the lot."""
    written = list(schedules)
    if not written:
        return
    models.SubscriptionSchedulePhase.objects.filter(schedule_id__in=[row_id for row_id, _ in written]).delete()
    models.SubscriptionSchedulePhase.objects.bulk_create(
        models.SubscriptionSchedulePhase(schedule_id=row_id, **phase)
        for row_id, payload in sorted(written, key=lambda schedule: schedule[0])
        for phase in mappers.map_schedule_phases(payload)
    )
