"""The abstract row every mirrored Stripe object is stored in."""

from __future__ import annotations

from django.db import models


class StripeQuerySet(models.QuerySet):
    def live(self) -> StripeQuerySet:
        """Rows whose object still exists at Stripe (tombstones excluded)."""
        return self.filter(deleted=False)


class StripeObject(models.Model):
    """A local copy of one Stripe object.

    `stripe_data` keeps the whole last payload; the columns hold what is filtered or ordered on.
    `synced_at` is the Stripe-side time of the state held (the event's `created`, or the fetch time),
    which the guarded upsert compares so that a row never moves backwards. `deleted` is a tombstone: a
    late update cannot bring a deleted object back.
    """

    id = models.CharField(max_length=255, primary_key=True)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    stripe_data = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    objects = StripeQuerySet.as_manager()

    stripe_object_name: str = ""

    class Meta:
        abstract = True
        ordering = ("-created",)

    def __str__(self) -> str:
        return self.id


def stripe_relation(to: str, related_name: str, **kwargs) -> models.ForeignKey:
    """A foreign key between mirrored objects, without a database constraint.

    Stripe delivers events in no particular order, so a subscription may arrive before its price or
    customer: the row is kept and the relation resolves once the other side is mirrored.
    """
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name=related_name,
        **kwargs,
    )
