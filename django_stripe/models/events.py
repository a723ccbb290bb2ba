"""The ledger of received webhook events and the cursors of the backfill."""

from __future__ import annotations

from django.db import models


class WebhookEvent(models.Model):
    """A Stripe event as received. Stored before it is processed, so that none is ever lost."""

    class Status(models.TextChoices):
        PENDING = "pending"
        # Never set: an event being applied is locked in its transaction (SKIP LOCKED), so a status written
        # then would be seen by no one, and a worker that dies leaves it pending. Kept so that the field's
        # choices, and so the migrations, stay as they are.
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"
        IGNORED = "ignored"

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=255, db_index=True)
    api_version = models.CharField(max_length=64, null=True, blank=True)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed event is due again (none once its attempts are spent)."
    )
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When the event was last sent to the workers.")

    class Meta:
        db_table = "django_stripe_webhook_event"
        ordering = ("-created",)
        indexes = [models.Index(fields=["status", "received_at"], name="djstripe_event_status_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class PassCursor(models.Model):
    """How far a backfill pass got along one list: the last id read, the objects counted, when the pass began
    and ended; written in the same transaction as each page."""

    starting_after = models.CharField(max_length=255, blank=True)
    synced_count = models.PositiveIntegerField(default=0)
    pass_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SyncCursor(PassCursor):
    """How far the backfill of one object type got, walked as one stream."""

    object_type = models.CharField(max_length=64, primary_key=True)

    class Meta:
        db_table = "django_stripe_sync_cursor"

    def __str__(self) -> str:
        return self.object_type


class BackfillSegment(PassCursor):
    """One `created` range [created_gte, created_lt) of a type's backfill pass, with its own cursor, written in
    the same transaction as each of its pages (sync/segments.py). A bound of None is open."""

    object_type = models.CharField(max_length=64, db_index=True)
    created_gte = models.BigIntegerField(null=True, blank=True)
    created_lt = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "django_stripe_backfill_segment"

    def __str__(self) -> str:
        return f"{self.object_type} [{self.created_gte}, {self.created_lt})"
