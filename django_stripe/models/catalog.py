"""Products and prices: the catalogue a customer subscribes to."""

from __future__ import annotations

from django.db import models

from .base import StripeObject, stripe_relation


class Product(StripeObject):
    stripe_object_name = "product"

    active = models.BooleanField(default=True, db_index=True)
    name = models.CharField(max_length=5000, blank=True)
    default_price = stripe_relation("django_stripe.Price", "+")

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_product"


class Price(StripeObject):
    stripe_object_name = "price"

    product = stripe_relation("django_stripe.Product", "prices")
    active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3, blank=True)
    unit_amount = models.BigIntegerField(null=True, blank=True)
    type = models.CharField(max_length=32, blank=True)
    recurring_interval = models.CharField(max_length=16, blank=True)
    recurring_interval_count = models.PositiveIntegerField(null=True, blank=True)
    lookup_key = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    nickname = models.CharField(max_length=5000, null=True, blank=True)
    # A metered price bills what its meter counted over the period (`recurring.usage_type="metered"`,
    # `recurring.meter`); a licensed one, its quantity.
    usage_type = models.CharField(max_length=16, blank=True)
    meter = stripe_relation("django_stripe.BillingMeter", "prices")

    class Meta(StripeObject.Meta):
        db_table = "django_stripe_price"
        indexes = [models.Index(fields=["product", "active", "currency"], name="djstripe_price_product_idx")]
