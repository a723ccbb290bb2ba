"""The abstract models that give a project's model its Stripe customer: any billable, and the user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class StripeBillable(models.Model):
    """Subclass this in the model that pays (a team, an organisation) and name it in STRIPE_BILLABLE_MODEL.

    Its customer is created with `stripe_customer_details()` when the model defines it (a dict of Stripe's
    customer parameters: `email`, `name`, ...), else with its `email` and `name` attributes, else `str()` as the
    name.
    """

    stripe_customer_id = models.CharField(max_length=255, blank=True, null=True, unique=True)

    class Meta:
        abstract = True


class StripeCustomerUser(StripeBillable, AbstractUser):
    """Subclass this as your AUTH_USER_MODEL.

    Add `allowed_access_until = models.DateTimeField(null=True, blank=True)` to your subclass to grant
    temporary free access.
    """

    class Meta(AbstractUser.Meta):
        abstract = True
