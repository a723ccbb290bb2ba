"""Exceptions raised by django-stripe."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class StripeNotConfigured(ImproperlyConfigured):
    """A setting that a call needs (the secret key, the default product...) is missing."""


class StripeWrongCustomer(Exception):
    """The object does not exist or belongs to another customer.

    Both cases raise this same error with the same message, so that ids cannot be probed.
    """

    def __init__(self, message: str = "No such object for this customer.") -> None:
        super().__init__(message)


class StripeCustomerMissing(Exception):
    """The user has no Stripe customer yet."""


class StripePriceUnavailable(ValueError):
    """The price exists but cannot be bought: it, or its product, is archived (inactive).

    A ValueError, so the REST API answers it with 400 and its message.
    """
