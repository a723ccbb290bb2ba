"""What a customer has: subscriptions and their items, invoices, payment methods and entitlements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .base import StripeObject, StripeQuerySet, stripe_relation
from .schedules import SCHEDULED_CHANGE_ATTR, ScheduledChange, scheduled_changes

ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})


class Customer(StripeObject):
    stripe_object_name = "customer"

    email = models.CharField(max_length=512, null=True, blank=True, db_index=True)
    name = models.CharField(max_length=512, null=True, blank=True)
    default_payment_method = stripe_relation("django_stripe.PaymentMethod", "+")

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_customer"


class SubscriptionQuerySet(StripeQuerySet):
    def with_status(self, status: str | None = None) -> SubscriptionQuerySet:
        """Stripe's rule for listing subscriptions, among those of the key's mode: without a status, every one
        not cancelled (an expired incomplete one included, though its row is a tombstone); `all`, every one;
        otherwise those of that status, tombstones included."""
        rows = self.of_key_mode()
        if not status:
            return rows.exclude(status="canceled").filter(Q(deleted=False) | Q(status="incomplete_expired"))
        return rows if status == "all" else rows.filter(status=status)


class Subscription(StripeObject):
    stripe_object_name = "subscription"

    objects = SubscriptionQuerySet.as_manager()

    customer = stripe_relation("django_stripe.Customer", "subscriptions")
    status = models.CharField(max_length=32)
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # Since API 2025-03-31 the billing period lives on the items; these hold the earliest start and the
    # latest end over the items (or the top-level fields of older API versions).
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True, db_index=True)
    default_payment_method = stripe_relation("django_stripe.PaymentMethod", "+")
    latest_invoice = stripe_relation("django_stripe.Invoice", "+")
    # The schedule governing the subscription (Stripe's `schedule`), and how its collection is paused
    # (`pause_collection.behavior`: null when it is not).
    schedule = stripe_relation("django_stripe.SubscriptionSchedule", "+")
    pause_collection_behavior = models.CharField(max_length=32, null=True, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_subscription"
        indexes = [
            models.Index(fields=["customer", "status"], name="djstripe_sub_customer_idx"),
            models.Index(fields=["status", "cancel_at_period_end"], name="djstripe_sub_status_idx"),
        ]

    @property
    def on_trial(self) -> bool:
        return self.status == "trialing" and (self.trial_end is None or self.trial_end > timezone.now())

    @property
    def on_grace_period(self) -> bool:
        """Cancelled, but still running until the end of the period already paid for."""
        ends_at = self.cancel_at or (self.current_period_end if self.cancel_at_period_end else None)
        return not self.ended and ends_at is not None and ends_at > timezone.now()

    @property
    def past_due(self) -> bool:
        return self.status == "past_due"

    @property
    def has_incomplete_payment(self) -> bool:
        """The first payment or a renewal needs the customer's action (a declined card, 3-D Secure)."""
        return self.status in {"incomplete", "past_due"}

    @property
    def ended(self) -> bool:
        return self.status in ENDED_STATUSES or self.deleted

    @property
    def paused(self) -> bool:
        """Collection is paused (`pause_collection`): the status stays `active`, the renewals are not charged."""
        return self.pause_collection_behavior is not None

    def scheduled_change(self) -> ScheduledChange | None:
        """The change a schedule will make at the end of the current phase: `{"price", "quantity", "at"}` (the
        first item of the phase after the current one of the subscription's active schedule), or None.

        One query; none when `prefetch_scheduled_changes` was given this row (as the lists do)."""
        if SCHEDULED_CHANGE_ATTR in self.__dict__:
            return self.__dict__[SCHEDULED_CHANGE_ATTR]
        return scheduled_changes([self.id]).get(self.id)


class SubscriptionItem(StripeObject):
    stripe_object_name = "subscription_item"

    subscription = stripe_relation("django_stripe.Subscription", "items")
    price = stripe_relation("django_stripe.Price", "subscription_items")
    product = stripe_relation("django_stripe.Product", "subscription_items")
    quantity = models.PositiveIntegerField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_subscription_item"
        indexes = [models.Index(fields=["product", "subscription"], name="djstripe_item_product_idx")]


class Invoice(StripeObject):
    stripe_object_name = "invoice"

    customer = stripe_relation("django_stripe.Customer", "invoices")
    subscription = stripe_relation("django_stripe.Subscription", "invoices")
    status = models.CharField(max_length=32, null=True, blank=True)
    number = models.CharField(max_length=255, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_due = models.BigIntegerField(null=True, blank=True)
    amount_paid = models.BigIntegerField(null=True, blank=True)
    billing_reason = models.CharField(max_length=64, null=True, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_invoice"
        indexes = [
            models.Index(fields=["customer", "status"], name="djstripe_invoice_customer_idx"),
            models.Index(fields=["subscription"], name="djstripe_invoice_sub_idx"),
        ]


class PaymentMethod(StripeObject):
    stripe_object_name = "payment_method"

    customer = stripe_relation("django_stripe.Customer", "payment_methods")
    type = models.CharField(max_length=64)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_payment_method"
        indexes = [models.Index(fields=["customer", "type"], name="djstripe_pm_customer_idx")]


class ActiveEntitlement(StripeObject):
    """A feature a customer currently has, from the entitlement summary Stripe keeps per customer."""

    stripe_object_name = "entitlements.active_entitlement"

    customer = stripe_relation("django_stripe.Customer", "active_entitlements")
    feature = models.CharField(max_length=255)
    lookup_key = models.CharField(max_length=255)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_active_entitlement"
        indexes = [models.Index(fields=["customer", "lookup_key"], name="djstripe_ent_customer_idx")]


class EntitlementSummary(models.Model):
    """When the customer's newest entitlement summary was applied: the stamp of their whole entitlement set.

    The set's own rows cannot hold it: a summary that empties the set (or repeats an empty one) leaves no live
    row, and an older, non-empty summary delivered later would bring entitlements back. Keyed by the customer's
    id without a relation, since a summary may arrive before its customer is mirrored."""

    customer_id = models.CharField(max_length=255, primary_key=True)
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "django_stripe_entitlement_summary"

    def __str__(self) -> str:
        return self.customer_id
