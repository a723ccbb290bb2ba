"""The library's and Stripe's errors as HTTP answers: the user gets the message and a fitting status, never a 500.

Django's Http404 and PermissionDenied (which the library's not-found and access-denied errors are) become REST
framework's NotFound and PermissionDenied here, with their message, as DRF's default exception handler turns
them, so the answer does not depend on the project's EXCEPTION_HANDLER."""

from __future__ import annotations

import logging

import stripe
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, NotFound

from ..exceptions import StripeCustomerMissing, StripeNotConfigured, StripeRequestRefused, StripeWrongCustomer

logger = logging.getLogger("django_stripe.api")


class StripeUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    # Not "nothing was changed": a write of several steps (make the card the default, then subscribe) may have
    # done its first step. Each step is mirrored as Stripe answered it, and sending the request again is safe.
    default_detail = "Stripe could not be reached. Please try again shortly."
    default_code = "stripe_unavailable"


class StripeRequestFailed(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "stripe_error"


class PaymentFailed(APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "card_declined"


def as_api_exception(error: Exception) -> Exception:
    """The DRF exception to answer for a Django, Stripe or ownership error; other errors are returned unchanged."""
    if isinstance(error, Http404):
        return NotFound(*error.args)
    if isinstance(error, PermissionDenied):
        return exceptions.PermissionDenied(*error.args)
    if isinstance(error, StripeWrongCustomer | StripeCustomerMissing):
        return NotFound(str(error))
    if isinstance(error, stripe.CardError):
        return PaymentFailed(error.user_message or "Your card was declined.", code=error.code or "card_declined")
    if isinstance(error, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError):
        logger.warning("Stripe unavailable: %s", type(error).__name__)
        return StripeUnavailable()
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError | StripeNotConfigured):
        logger.error("Stripe rejected the configured API key: %s", type(error).__name__)
        return StripeUnavailable()
    if isinstance(error, stripe.StripeError):
        return StripeRequestFailed(error.user_message or "Stripe refused the request.", code=error.code)
    if isinstance(error, StripeRequestRefused):
        refused = StripeRequestFailed(str(error), code=type(error).__name__)
        refused.status_code = error.status_code
        return refused
    if isinstance(error, ValueError):
        return StripeRequestFailed(str(error))
    return error
