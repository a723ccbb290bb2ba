"""`manage.py stripe_process_events`: apply stored webhook events again, in this process.

    stripe_process_events                      events not applied yet (pending, failed)
    stripe_process_events --failed             only the failed ones
    stripe_process_events --ids evt_1 evt_2    these events, whatever their status (a replay)
    stripe_process_events --type 'invoice.*' --since 2026-01-01

Events are applied oldest first. Re-applying an event already processed is harmless: the guarded upsert
ignores a state older than the mirror's. A key Stripe refuses or an unreachable Stripe stops the run at
once with the one-line error `stripe_sync` gives, leaving the event as it was: every other one would
fail alike, and none should spend an attempt on it. A restricted key that may not read one resource
does not stop the run: only the events that need that resource fail, and are recorded as failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from ...celery_setup import MISSING_APP, celery_app_hint, missing_celery_app
from ...models import WebhookEvent
from ...stripe_errors import unusable_stripe
from ...webhooks.processing import process_event

Status = WebhookEvent.Status


def parse_since(value: str) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime(day.year, day.month, day.day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select_events(
    *, failed: bool, ids: list[str] | None, type_pattern: str | None, since: datetime | None
) -> QuerySet[WebhookEvent]:
    events = WebhookEvent.objects.order_by("created", "id")
    if failed:
        events = events.filter(status=Status.FAILED)
    elif not (ids or type_pattern or since):
        events = events.filter(status__in=[Status.PENDING, Status.FAILED])
    if ids:
        events = events.filter(id__in=ids)
    if since:
        events = events.filter(created__gte=since)
    if type_pattern and not any(char in type_pattern for char in "*?["):
        events = events.filter(type=type_pattern)
    return events


class Command(BaseCommand):
    help = "Apply stored Stripe webhook events again (all unfinished ones, the failed ones, or a selection)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", action="store_true", help="Only events whose processing failed.")
        parser.add_argument("--ids", nargs="+", metavar="EVENT_ID", help="These events, whatever their status.")
        parser.add_argument("--type", dest="type_pattern", help="Event type, or a pattern such as 'invoice.*'.")
        parser.add_argument("--since", help="Events Stripe created at or after this ISO date or date-time.")

    def handle(self, *args: Any, failed: bool, ids: list[str] | None, type_pattern: str | None, **options: Any) -> None:
        try:
            since = parse_since(options["since"]) if options["since"] else None
        except ValueError:
            raise CommandError(f"--since: not an ISO date or date-time: {options['since']!r}") from None
        events = select_events(failed=failed, ids=ids, type_pattern=type_pattern, since=since)
        self.warn_if_no_worker_can_process()
        # A replay of a selection re-applies processed events too; the default run only finishes work.
        force = bool(ids or type_pattern or since) and not failed
        verbosity = options.get("verbosity", 1)
        counts: dict[str, int] = {}
        for event_id, event_type in events.values_list("id", "type").iterator():
            if type_pattern and not fnmatchcase(event_type, type_pattern):
                continue
            try:
                status = process_event(event_id, force=force, fatal=unusable_stripe)
            except Exception as error:
                # What `unusable_stripe` picked, or an error recording the failure itself (the database):
                # the latter keeps its traceback.
                message = unusable_stripe(error)
                if message is None:
                    raise
                raise CommandError(message) from None
            counts[status] = counts.get(status, 0) + 1
            if verbosity >= 2:
                self.stdout.write(f"{event_id} {event_type}: {status}")
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "no events"
        self.stdout.write(f"Stripe events: {summary}.")
        if counts.get(Status.FAILED):
            raise CommandError(f"{counts[Status.FAILED]} event(s) failed: see their error in the admin.")

    def warn_if_no_worker_can_process(self) -> None:
        """Events left pending because the project has no Celery app: this run applies them, but the next ones
        will stay pending too. Say why, with the lines that fix it."""
        if not missing_celery_app():
            return
        pending = WebhookEvent.objects.filter(status=Status.PENDING).count()
        if pending:
            self.stderr.write(
                self.style.WARNING(f"{pending} Stripe event(s) pending. {MISSING_APP}\n{celery_app_hint()}")
            )
