from django.db import models

from django_stripe.models import StripeCustomerUser


class User(StripeCustomerUser):
    """The example project's user: a Stripe customer id, plus optional free access until a date."""

    allowed_access_until = models.DateTimeField(null=True, blank=True)
