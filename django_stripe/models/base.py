"""The abstract row every mirrored Stripe object is stored in."""

from __future__ import annotations

from django.db import models

from ..conf import key_livemode


class StripeQuerySet(models.QuerySet):
    def live(self) -> StripeQuerySet:
        """What reads show: rows whose object still exists at Stripe (tombstones excluded), of the key's mode.

        Not for the sync, which writes whatever mode its events carry (the webhook endpoint refuses the other
        mode's)."""
        return self.filter(deleted=False).of_key_mode()

    def of_key_mode(self) -> StripeQuerySet:
        """Rows of STRIPE_SECRET_KEY's mode (test rows under a test key, live rows under a live key): the
        other mode's objects are not this key's to show or change, and Stripe would not know them. Without a
        key no mode is known, and nothing is left out."""
        livemode = key_livemode()
        return self if livemode is None else self.filter(livemode=livemode)


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
