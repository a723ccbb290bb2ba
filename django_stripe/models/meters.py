"""Billing meters and what they counted: the mirror of Stripe's meters and of their event summaries.

A meter (`billing.meter`) turns the meter events reported under its `event_name` into a quantity that a
metered price (`recurring.meter`, `usage_type="metered"`) bills at each renewal. Its summaries are not
objects Stripe sends events about: `MeterUsageSummary` keeps the last one read for each customer, meter and
billing period (sync/usage_summaries.py refreshes it after each send of the outbox).
"""

from __future__ import annotations

from django.db import models

from .base import StripeObject, stripe_relation


class BillingMeter(StripeObject):
    """A Stripe billing meter. `formula` is its `default_aggregation.formula` (sum, count or last)."""

    stripe_object_name = "billing.meter"

    event_name = models.CharField(max_length=100, db_index=True)
    display_name = models.CharField(max_length=250, blank=True)
    status = models.CharField(max_length=16, blank=True)
    formula = models.CharField(max_length=16, blank=True)
    customer_mapping_key = models.CharField(max_length=100, blank=True)
    value_key = models.CharField(max_length=100, blank=True)

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_billing_meter"

    @property
    def active(self) -> bool:
        return self.status == "active"


class MeterUsageSummary(models.Model):
    """What Stripe had counted of one meter for one customer over one billing period, when last read.

    `start_time` and `end_time` are the window asked of Stripe (the period, on minute boundaries as
    Stripe requires); `refreshed_at` is this server's time just before the read, so that usage sent after
    it is known not to be in `aggregated_value` yet."""

    customer_id = models.CharField(max_length=255)
    meter = stripe_relation("django_stripe.BillingMeter", "usage_summaries")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    aggregated_value = models.FloatField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "django_stripe_meter_usage_summary"
        constraints = [
            models.UniqueConstraint(
                fields=["customer_id", "meter", "start_time"], name="djstripe_usage_summary_period_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} for {self.customer_id} from {self.start_time:%Y-%m-%d}: {self.aggregated_value}"
