"""Exceptions raised by django-stripe."""

from __future__ import annotations

from typing import Self

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404


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


class StripeRequestRefused(ValueError):
    """A request the library refuses, with a message written for the user who made it: the REST API answers it
    400 with that message (a subclass may say another status). Only these messages reach a user: any other
    error is answered without its text, which may hold what the user must not see."""

    status_code = 400
    code = "request_refused"


class StripePriceUnavailable(StripeRequestRefused):
    """The price exists but cannot be bought: it, or its product, is archived (inactive) or gone."""

    code = "price_unavailable"


class StripeSubscriptionExists(StripeRequestRefused):
    """The customer already has a live subscription to the product (one per product, unless
    STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT): change it instead of starting another. 409 over REST."""

    status_code = 409
    code = "subscription_exists"

    def __init__(self, product_id: str, subscription_id: str | None) -> None:
        self.product_id, self.subscription_id = product_id, subscription_id
        named = f" ({subscription_id})" if subscription_id else ""
        super().__init__(
            f"You already have a subscription to {product_id}{named}: change that one instead of starting another."
        )


class StripePaymentPending(StripeRequestRefused):
    """A change of price or quantity was not applied: Stripe could not charge it (a declined card, say), so the
    subscription keeps its old items, and its access, until the change's invoice is paid. The change waits in
    the subscription's `pending_update` until then, or until it expires (`pending_update.expires_at`, 23
    hours at most). 402 over REST. `subscription` is Stripe's answer, already mirrored."""

    status_code = 402
    code = "payment_pending"

    def __init__(self, subscription) -> None:
        self.subscription = subscription
        super().__init__(
            "The payment for this change did not go through, so your subscription is unchanged. Pay the open "
            "invoice, or use another card and try again."
        )


# The original API's `rest=True` chose REST framework's exceptions over Django's. The two errors below are both
# at once, so the flag has nothing left to do: a Django view answers them 404 / 403, a DRF view the same with the
# message, and an `except` written for either family catches them. Their REST framework half is a twin class
# that api/errors.py declares and the app's ready() registers (`add_rest_twin`): this bottom layer, which
# payments raise from, imports no REST framework.

_rest_twins: dict[type[Exception], type[Exception]] = {}


def add_rest_twin(error_class: type[Exception], twin: type[Exception]) -> None:
    """Build `twin` (a subclass of `error_class` and of a REST framework exception) wherever `error_class`
    itself is raised, so that either family's `except` catches it."""
    if not issubclass(twin, error_class):
        raise TypeError(f"{twin.__name__} is not a {error_class.__name__}")
    _rest_twins[error_class] = twin


class _RestTwinned(Exception):
    """An error that is built as its REST framework twin once one is registered (the class itself only: a
    project's subclass stays what it is)."""

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        return super().__new__(_rest_twins.get(cls, cls), *args, **kwargs)


class StripeObjectNotFound(_RestTwinned, Http404):
    """A product or price that does not exist or is not for sale (Http404, and REST framework's NotFound)."""


class StripeAccessDenied(_RestTwinned, PermissionDenied):
    """A product hidden by STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY (Django's and REST framework's PermissionDenied)."""
