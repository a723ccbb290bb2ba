"""`manage.py stripe_sync`: backfill the mirror from Stripe, and/or catch up on missed events.

    stripe_sync                          every type, in dependency order (resumes a pass in progress)
    stripe_sync customers subscriptions  these types only
    stripe_sync --restart                drop passes in progress and start over
    stripe_sync --catch-up               only the Events-API catch-up
    stripe_sync products --catch-up      the types, then the catch-up
    stripe_sync --check [TYPES]          compare the mirror with Stripe, write nothing: exit 1 when they differ

A progress bar per type (count and rate), a summary table at the end. A type that fails is reported and
the run goes on with the next one (its pass resumes next time); the exit status is then non-zero. A bad
key or an unreachable Stripe stops at once with a one-line error.

With --check, every object and field that differs is printed as it is found (sync/drift.py), then a table
per type; the exit status is 1 when anything differs (or a type failed), 0 when the mirror is Stripe's.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ...stripe_errors import fatal_error
from ...sync.backfill import OBJECT_TYPES, BackfillResult, UnknownObjectType, backfill_type, resolve_types
from ...sync.drift import DriftResult, check_type
from ...webhooks.catchup import CatchUpResult, catch_up

COLUMNS = ("type", "objects", "created", "updated", "unchanged", "stale", "tombstoned", "seconds", "obj/s", "status")
CHECK_COLUMNS = (
    "type",
    "at Stripe",
    "missing in mirror",
    "missing at Stripe",
    "deleted",
    "differing",
    "newer",
    "status",
)


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def backfill_row(result: BackfillResult, status: str) -> tuple[str, ...]:
    counts = result.counts
    return (
        result.name,
        f"{result.fetched:,}",
        f"{counts.created:,}",
        f"{counts.updated:,}",
        f"{counts.unchanged:,}",
        f"{counts.stale:,}",
        f"{result.tombstoned:,}",
        f"{result.seconds:.1f}",
        f"{result.rate:,.0f}",
        status,
    )


def drift_row(result: DriftResult, status: str) -> tuple[str, ...]:
    deleted = result.count("deleted in the mirror") + result.count("deleted at Stripe")
    return (
        result.name,
        f"{result.listed:,}",
        f"{result.count('missing in the mirror'):,}",
        f"{result.count('missing at Stripe'):,}",
        f"{deleted:,}",
        f"{result.count('differs'):,}",
        f"{result.newer_in_mirror:,}",
        status,
    )


def catch_up_row(result: CatchUpResult, status: str) -> tuple[str, ...]:
    rate = result.listed / result.seconds if result.seconds else 0.0
    skipped = result.known + result.unhandled
    return (
        "events",
        f"{result.listed:,}",
        f"{result.stored:,}",
        "",
        f"{skipped:,}",
        "",
        "",
        f"{result.seconds:.1f}",
        f"{rate:,.0f}",
        status,
    )


class Command(BaseCommand):
    help = "Backfill the Stripe mirror (all types or some, resumable) and/or catch up on missed events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("types", nargs="*", metavar="TYPE", help=f"Among: {', '.join(OBJECT_TYPES)}.")
        parser.add_argument("--restart", action="store_true", help="Start every pass over instead of resuming.")
        parser.add_argument(
            "--catch-up", action="store_true", help="Catch up on events (alone, or after the TYPES given)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars (e.g. in cron logs).")
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Segments of a type fetched at once (default: STRIPE_BACKFILL_THREADS; 1: one stream).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the mirror with Stripe, writing nothing; exit status 1 when anything differs.",
        )

    def handle(self, *args: Any, types: list[str], restart: bool, catch_up: bool, **options: Any) -> None:
        if options["check"] and (restart or catch_up):
            raise CommandError("--check writes nothing: it goes with neither --restart nor --catch-up.")
        try:
            selected = resolve_types(types) if types or not catch_up else []
        except UnknownObjectType as error:
            raise CommandError(str(error)) from None
        self.show_progress = not options["no_progress"] and options.get("verbosity", 1) > 0
        if options["check"]:
            self.compare_with_stripe(selected)
            return
        rows: list[tuple[str, ...]] = [COLUMNS]
        failed = 0
        self.threads = options.get("threads")
        for object_type in selected:
            row, ok = self.run_type(object_type.name, restart)
            rows.append(row)
            failed += not ok
        if catch_up:
            row, ok = self.run_catch_up()
            rows.append(row)
            failed += not ok
        self.stdout.write(table(rows))
        if failed:
            raise CommandError(f"{failed} of {len(rows) - 1} failed; run again to resume where they stopped.")

    def run_type(self, name: str, restart: bool) -> tuple[tuple[str, ...], bool]:
        bar = self.bar(name, "obj")
        last = BackfillResult(name)

        def progress(result: BackfillResult) -> None:  # called under a lock when segments run in threads
            nonlocal last
            last = result
            if result.total is not None and bar.total != result.total:
                bar.total, bar.unit = result.total, "customer"
            bar.set_postfix_str(f"{result.fetched:,} objects", refresh=False)
            bar.update(result.position - bar.n)

        try:
            with bar:
                last = backfill_type(name, restart=restart, progress=progress, threads=self.threads)
        except Exception as error:
            self.stop_on_fatal(error)
            self.stderr.write(f"{name}: {error.__class__.__name__}: {error}")
            return backfill_row(last, "FAILED"), False
        return backfill_row(last, "ok"), True

    def compare_with_stripe(self, selected: list) -> None:
        rows: list[tuple[str, ...]] = [CHECK_COLUMNS]
        differing = failed = 0
        for object_type in selected:
            try:
                result = check_type(object_type, lambda difference: self.stdout.write(difference.describe()))
            except Exception as error:
                self.stop_on_fatal(error)
                self.stderr.write(f"{object_type.name}: {error.__class__.__name__}: {error}")
                rows.append((object_type.name, *("",) * 6, "FAILED"))
                failed += 1
                continue
            differing += len(result.differences)
            rows.append(drift_row(result, "DIFFERS" if result.differences else "ok"))
        self.stdout.write(table(rows))
        if differing or failed:
            what = f"{differing} object(s) differ between the mirror and Stripe" if differing else ""
            also = f"{failed} type(s) could not be checked" if failed else ""
            raise CommandError(
                "; ".join(part for part in (what, also) if part)
                + ". `manage.py stripe_sync TYPES` brings the mirror to Stripe's state."
            )

    def run_catch_up(self) -> tuple[tuple[str, ...], bool]:
        bar = self.bar("events", "event")
        last = CatchUpResult()

        def progress(result: CatchUpResult) -> None:
            nonlocal last
            last = result
            bar.set_postfix_str(f"{result.stored:,} new", refresh=False)
            bar.update(result.listed - bar.n)

        try:
            with bar:
                last = catch_up(progress=progress)
        except Exception as error:
            self.stop_on_fatal(error)
            self.stderr.write(f"events: {error.__class__.__name__}: {error}")
            return catch_up_row(last, "FAILED"), False
        return catch_up_row(last, "ok"), True

    def bar(self, name: str, unit: str) -> tqdm:
        return tqdm(desc=f"{name:>15}", unit=unit, unit_scale=False, disable=not self.show_progress, leave=True)

    def stop_on_fatal(self, error: Exception) -> None:
        message = fatal_error(error)
        if message:
            raise CommandError(message) from None
