"""Exceptions raised by django-stripe."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from rest_framework import exceptions as rest_exceptions


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


# The original API's `rest=True` chose REST framework's exceptions over Django's. These are both at once, so
# the flag is no longer needed: a Django view answers them 404 / 403, a DRF view the same with the message,
# and code written for either family catches them.


class StripeObjectNotFound(Http404, rest_exceptions.NotFound):
    """A product or price that does not exist or is not for sale (Http404 and REST framework's NotFound)."""


class StripeAccessDenied(PermissionDenied, rest_exceptions.PermissionDenied):
    """A product hidden by STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY (Django's and REST framework's PermissionDenied)."""
