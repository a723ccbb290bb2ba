"""`manage.py stripe_prune_events`: delete processed and ignored events older than the retention.

    stripe_prune_events                      older than STRIPE_EVENT_RETENTION_DAYS (30)
    stripe_prune_events --older-than 7d      units: d (days), h (hours), m (minutes)
    stripe_prune_events --dry-run            only count what would be deleted

Pending and failed events are never deleted. The rows go in batches of --batch-size (10,000), each its own
short transaction (webhooks/retention.py), so the webhook endpoint keeps storing events meanwhile.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...conf import stripe_settings
from ...webhooks.retention import BATCH_SIZE, STRIPE_RETRY_WINDOW, count_prunable, prune_events

UNITS = {"d": "days", "h": "hours", "m": "minutes"}
AGE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def parse_age(text: str) -> timedelta:
    """ "30d", "12h", "90m" -> a timedelta; ValueError for anything else."""
    match = AGE.match(text)
    if not match:
        raise ValueError(text)
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def retention_default() -> timedelta:
    days = stripe_settings.STRIPE_EVENT_RETENTION_DAYS
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        raise CommandError(f"STRIPE_EVENT_RETENTION_DAYS must be a positive number of days, not {days!r}.")
    return timedelta(days=days)


def counted(deleted: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {status}" for status, count in deleted.items())


class Command(BaseCommand):
    help = "Delete processed and ignored Stripe events older than the retention (never pending or failed ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="AGE",
            help="Delete events received longer ago than this: 30d, 12h, 90m (default: STRIPE_EVENT_RETENTION_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"Rows a transaction (default {BATCH_SIZE:,})."
        )

    def handle(self, *args: Any, older_than: str | None, dry_run: bool, batch_size: int, **options: Any) -> None:
        try:
            age = parse_age(older_than) if older_than is not None else retention_default()
        except ValueError:
            raise CommandError(f"--older-than: {older_than!r} is not a number and a unit (d, h, m), e.g. 30d") from None
        if age <= timedelta(0) or batch_size < 1:
            raise CommandError("--older-than and --batch-size must be positive.")
        if age < STRIPE_RETRY_WINDOW:
            self.stderr.write(
                self.style.WARNING(
                    "Stripe retries a delivery for up to 3 days: an event pruned sooner that arrives again is stored "
                    "and applied again (the mirror stays right; your own handlers run twice)."
                )
            )
        if dry_run:
            self.dry_run(age)
            return
        result = prune_events(age, batch_size=batch_size)
        self.stdout.write(
            f"Deleted {result.total:,} events received before {result.cutoff:%Y-%m-%d %H:%M:%S} UTC "
            f"({counted(result.deleted)}) in {result.batches} batch(es), {result.seconds:.1f} s."
        )

    def dry_run(self, age: timedelta) -> None:
        cutoff = timezone.now() - age
        counts = count_prunable(cutoff)
        self.stdout.write(
            f"Would delete {sum(counts.values()):,} events received before {cutoff:%Y-%m-%d %H:%M:%S} UTC "
            f"({counted(counts)}). Pending and failed events are kept."
        )
