"""The abstract user that links a Django user to a Stripe customer."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class StripeCustomerUser(AbstractUser):
    """Subclass this as your AUTH_USER_MODEL.

    Add `allowed_access_until = models.DateTimeField(null=True, blank=True)` to your subclass to grant
    temporary free access.
    """

    stripe_customer_id = models.CharField(max_length=255, blank=True, null=True, unique=True)

    class Meta(AbstractUser.Meta):
        abstract = True
