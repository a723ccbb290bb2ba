"""`manage.py stripe_status`: is the mirror keeping up? For people, or (`--json`, the exit status) a monitor.

    stripe_status                          the events, the catch-up, the backfill cursors, the usage reports
                                           (pending, the oldest one's age, refused), then any problem
    stripe_status --json                   the same figures as JSON
    stripe_status --max-pending-age 600    a pending event older than 600 s is a problem (default 300)
    stripe_status --max-failed 5           more than 5 failed events is a problem (default 0)

Exit status: 0 healthy; otherwise the sum of 1 (an event pending for longer than --max-pending-age: no worker
is applying events) and 2 (more failed events than --max-failed), so 3 is both.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import stripe_settings
from ...models import UsageReport
from ...models.usage import OutboxHealth
from ...webhooks.health import CursorState, Health, mirror_health


def moment(when: datetime | None, now: datetime) -> str:
    """ "2026-12-05 17:33:20 UTC (6 min ago)", or "never"."""
    if when is None:
        return "never"
    return f"{when:%Y-%m-%d %H:%M:%S} UTC ({duration((now - when).total_seconds())} ago)"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def event_lines(health: Health) -> list[str]:
    pending = f"{health.pending}"
    if health.pending:
        pending += f", the oldest received {duration(health.oldest_pending_age or 0)} ago"
    lag = "n/a" if health.lag is None else duration(health.lag)
    lag += " (the oldest pending event's age)" if health.pending else " (from Stripe's creation to applied)"
    return [
        "Events",
        f"  pending         {pending}",
        f"  failed          {health.failed} ({health.failed_given_up} with no attempt left)",
        f"  last processed  {moment(health.last_processed_at, health.now)}",
        f"  lag             {lag if health.lag is not None else 'n/a (nothing processed yet)'}",
    ]


def catch_up_lines(health: Health) -> list[str]:
    cursor = health.catch_up
    if cursor is None or cursor.completed_at is None:
        return ["Catch-up (Events API)", "  last run        never"]
    newest = f"{cursor.starting_after}, created {moment(cursor.pass_started_at, health.now)}"
    return [
        "Catch-up (Events API)",
        f"  last run        {moment(cursor.completed_at, health.now)}",
        f"  newest event    {newest if cursor.starting_after else 'none listed yet'}",
    ]


def backfill_lines(health: Health) -> list[str]:
    if not health.backfill:
        return ["Backfill", "  no pass has run yet (manage.py stripe_sync)"]
    rows = [("type", "objects", "state", "since"), *(_cursor_row(cursor, health.now) for cursor in health.backfill)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    # The objects right-aligned, as numbers are; the words left-aligned.
    lines = [
        f"  {name:<{widths[0]}}  {objects:>{widths[1]}}  {state:<{widths[2]}}  {since}"
        for name, objects, state, since in rows
    ]
    return ["Backfill", *lines]


def _cursor_row(cursor: CursorState, now: datetime) -> tuple[str, ...]:
    if cursor.in_progress:
        state = f"in progress, after {cursor.starting_after}" if cursor.starting_after else "in progress"
        return (cursor.name, f"{cursor.position:,}", state, moment(cursor.updated_at, now))
    return (cursor.name, f"{cursor.position:,}", "complete", moment(cursor.completed_at, now))


def usage_lines(usage: OutboxHealth) -> list[str]:
    pending = f"{usage.pending}"
    if usage.pending:
        pending += f", the oldest reported {duration(usage.oldest_pending_age or 0)} ago"
    refused = f"{usage.refused}" + (
        " (see each one's reason in the admin: Usage reports, refused)" if usage.refused else ""
    )
    return ["Usage reports", f"  pending         {pending}", f"  refused         {refused}"]


def report(health: Health, usage: OutboxHealth) -> str:
    sections = [
        [f"Stripe mirror status at {health.now:%Y-%m-%d %H:%M:%S} UTC"],
        event_lines(health),
        catch_up_lines(health),
        backfill_lines(health),
        usage_lines(usage),
        ["Problems", *(f"  - {line}" for line in health.problem_lines())] if health.problems else ["Healthy."],
    ]
    return "\n\n".join("\n".join(lines) for lines in sections)


class Command(BaseCommand):
    help = "Show whether the Stripe mirror keeps up (events pending, failed, lag, catch-up, backfill cursors)."
    # A monitor runs it every minute: the system checks' warnings would fill its log, and they are `check`'s job.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
        parser.add_argument(
            "--max-pending-age",
            type=float,
            metavar="SECONDS",
            help="A pending event older than this is a problem, exit status 1 (default: "
            "STRIPE_STATUS_MAX_PENDING_AGE, 300).",
        )
        parser.add_argument(
            "--max-failed",
            type=int,
            default=0,
            metavar="COUNT",
            help="More failed events than this is a problem, exit status 2 (default 0).",
        )

    def handle(self, *args: Any, max_pending_age: float | None, max_failed: int, **options: Any) -> None:
        if max_pending_age is None:
            max_pending_age = stripe_settings.STRIPE_STATUS_MAX_PENDING_AGE
        health = mirror_health(max_pending_age=max_pending_age, max_failed=max_failed)
        usage = UsageReport.objects.health()
        if options["json"]:
            self.stdout.write(json.dumps({**health.as_dict(), "usage": usage.as_dict()}, indent=2))
        else:
            self.stdout.write(report(health, usage))
        if health.problems:
            raise CommandError(
                f"unhealthy ({', '.join(problem.name.lower() for problem in health.problems)})",
                returncode=int(health.problems),
            )
