"""The library's and Stripe's errors as HTTP answers: the user gets a message and a fitting status, never a 500.

Django's Http404 and PermissionDenied (which the library's not-found and access-denied errors are) become REST
framework's NotFound and PermissionDenied here, with their message, as DRF's default exception handler turns
them, so the answer does not depend on the project's EXCEPTION_HANDLER.

Only messages written for the user reach them: the library's own refusals (StripeRequestRefused), its not-found
and access-denied errors, and Stripe's `user_message`. Any other ValueError (the project's code, Python's own) is
a 400 with a fixed message: its text was written for a developer and may name what a user must not see.

The catalog's StripeObjectNotFound and StripeAccessDenied are REST framework's NotFound and PermissionDenied too,
for code that catches those around a payments call (the original API's `rest=True`): their twins are declared
here and registered by the app's ready() (`add_rest_twins`), so that no layer below this one imports REST
framework."""

from __future__ import annotations

import logging
import traceback

import stripe
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, NotFound

from ..exceptions import (
    StripeAccessDenied,
    StripeCustomerMissing,
    StripeNotConfigured,
    StripeObjectNotFound,
    StripeRequestRefused,
    StripeWrongCustomer,
    add_rest_twin,
)
from ..stripe_errors import is_key_refused, is_unavailable

logger = logging.getLogger("django_stripe.api")

GENERIC_REFUSAL = "The request could not be processed."


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


class ServiceNotConfigured(APIException):
    """A setting the request needs is missing (StripeNotConfigured): the site's fault, not Stripe's nor the
    user's. Which setting is logged, not told."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Payments are not configured on this site yet. Please try again later."
    default_code = "not_configured"


class RequestRefused(APIException):
    """A StripeRequestRefused, answered with its own status (400, 409...), message and code."""

    def __init__(self, error: StripeRequestRefused) -> None:
        super().__init__(str(error), code=error.code)
        self.status_code = error.status_code


class RestObjectNotFound(StripeObjectNotFound, NotFound):
    """What StripeObjectNotFound is built as: Django's Http404 and REST framework's NotFound at once."""


class RestAccessDenied(StripeAccessDenied, exceptions.PermissionDenied):
    """What StripeAccessDenied is built as: Django's and REST framework's PermissionDenied at once."""


def add_rest_twins() -> None:
    """Make the library's not-found and access-denied errors REST framework's as well (called by the app's ready)."""
    add_rest_twin(StripeObjectNotFound, RestObjectNotFound)
    add_rest_twin(StripeAccessDenied, RestAccessDenied)


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
    if is_unavailable(error):
        logger.warning("Stripe unavailable: %s", type(error).__name__)
        return StripeUnavailable()
    if isinstance(error, StripeNotConfigured):
        logger.error("django-stripe is not configured: %s", error)  # our own message: the setting to set
        return ServiceNotConfigured()
    if is_key_refused(error):
        logger.error("Stripe rejected the configured API key: %s", type(error).__name__)
        return StripeUnavailable()
    if isinstance(error, stripe.StripeError):
        return StripeRequestFailed(error.user_message or "Stripe refused the request.", code=error.code)
    if isinstance(error, StripeRequestRefused):
        return RequestRefused(error)
    if isinstance(error, ValueError):
        # Its text is neither shown nor logged (it may hold anything, a secret included): where it came from is.
        logger.warning("A request was refused with a generic 400: %s raised %s", type(error).__name__, origin(error))
        return StripeRequestFailed(GENERIC_REFUSAL, code="invalid_request")
    return error


def origin(error: BaseException) -> str:
    """Where an error was raised: the file, line and function of its traceback's innermost frame."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "at an unknown place"
    innermost = frames[-1]
    return f"at {innermost.filename}:{innermost.lineno} in {innermost.name}"
