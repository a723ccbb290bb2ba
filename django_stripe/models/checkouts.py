"""What the library keeps of the subscriptions it is starting: the Checkout Sessions it opened that may still
make one, and the one trial each customer is granted.

Neither is a mirror of a Stripe object: both are the library's own bookkeeping, written under the customer's
lock by `payments/new_subscriptions.py` and closed by the Checkout webhooks (`webhooks/handlers.py`).
"""

from __future__ import annotations

from django.db import models, transaction


class OpenCheckoutQuerySet(models.QuerySet):
    def close(self, session_id: str, subscription_id: str | None = None) -> None:
        """The session completed (`subscription_id`: the subscription it made) or expired: it holds nothing
        any more. A trial it carried becomes that subscription's, or is free again when it made none."""
        with transaction.atomic():
            self.filter(id=session_id).delete()
            held = TrialReservation.objects.filter(checkout_session_id=session_id, subscription_id=None)
            if subscription_id:
                held.update(subscription_id=subscription_id)
            else:
                held.delete()


class OpenCheckout(models.Model):
    """A subscription-mode Checkout Session this library opened, until it completes or expires: the
    subscription it may still make counts as started, so that a second one to the same product, or a second
    trial, is judged with it (the session is expired first)."""

    id = models.CharField(max_length=255, primary_key=True)
    customer_id = models.CharField(max_length=255, db_index=True)
    product_ids = models.JSONField(default=list, help_text="The products the session would subscribe to.")
    expires_at = models.DateTimeField(help_text="When Stripe expires the session if it is not completed.")
    created = models.DateTimeField(auto_now_add=True)

    objects = OpenCheckoutQuerySet.as_manager()

    class Meta:
        db_table = "django_stripe_open_checkout"

    def __str__(self) -> str:
        return self.id


class TrialReservation(models.Model):
    """The one free trial a customer is granted, reserved when it is granted: by the subscription that has
    it, or, while the Checkout Session carrying it is open, by that session. The reservation, not the
    subscriptions Stripe has made so far, is what the trial rule reads (`payments/trials.py`)."""

    customer_id = models.CharField(max_length=255, primary_key=True)
    subscription_id = models.CharField(max_length=255, null=True, blank=True)
    checkout_session_id = models.CharField(max_length=255, null=True, blank=True)
    reserved_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "django_stripe_trial_reservation"

    def __str__(self) -> str:
        return self.customer_id

    @property
    def held_by_open_checkout(self) -> bool:
        """Reserved by a Checkout Session that has made no subscription yet: the trial may still be taken
        elsewhere once that session is expired."""
        return bool(self.checkout_session_id) and not self.subscription_id
