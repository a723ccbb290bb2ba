"""Stripe-hosted pages (Checkout, Billing Portal) and setup intents for the self-hosted checkout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..conf import stripe_settings
from ..webhooks.linking import CHECKOUT_USER_KEY
from .catalog import retrieve_price
from .customers import add_stripe_customer_if_not_existing, refuse_owner_override


@add_stripe_customer_if_not_existing
def create_checkout(user: Any, method: Callable[..., stripe.checkout.Session] | None = None, **kwargs: Any):
    """A Checkout Session for the user: the success and cancel URLs and payment method types from settings,
    then `kwargs` (Stripe's parameters), always with the user's own customer and `client_reference_id`
    set to the user's pk.

    `method` creates the session, called with the parameters as keyword arguments (default: the SDK's
    `checkout.sessions.create`). Prefer `create_subscription_checkout` or `create_setup_checkout`.
    checkout_created is sent.
    """
    refuse_owner_override(kwargs, "customer", "client_reference_id")
    params = {
        "success_url": stripe_settings.STRIPE_CHECKOUT_SUCCESS_URL,
        "cancel_url": stripe_settings.STRIPE_CHECKOUT_CANCEL_URL,
        "payment_method_types": list(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        **kwargs,
        "customer": user.stripe_customer_id,
        "client_reference_id": str(user.pk),
        # What the webhook links the session's customer to the user by: a buyer can set client_reference_id.
        "metadata": {**(kwargs.get("metadata") or {}), CHECKOUT_USER_KEY: str(user.pk)},
    }
    session = method(**params) if method else get_client().v1.checkout.sessions.create(params=params)
    signals.checkout_created.send(sender=user.__class__, user=user, session=session)
    return session


def create_subscription_checkout(user: Any, price_id: str, rest: bool = False, **kwargs: Any):
    """A Checkout Session subscribing the user to `price_id`. An unknown price, or one of a product the
    user may not see, raises Http404/PermissionDenied (REST framework's when `rest`)."""
    retrieve_price(user, price_id, rest=rest)
    return create_checkout(user, mode="subscription", line_items=[{"price": price_id, "quantity": 1}], **kwargs)


def create_setup_checkout(user: Any, rest: bool = False, **kwargs: Any):
    """A Checkout Session in setup mode, where the user saves a payment method for later. `rest` is
    accepted for symmetry with `create_subscription_checkout`."""
    return create_checkout(user, mode="setup", **kwargs)


@add_stripe_customer_if_not_existing
def create_billing_portal(user: Any) -> stripe.billing_portal.Session:
    """A Billing Portal session returning to STRIPE_BILLING_PORTAL_RETURN_URL; billing_portal_created is sent."""
    session = get_client().v1.billing_portal.sessions.create(
        params={"customer": user.stripe_customer_id, "return_url": stripe_settings.STRIPE_BILLING_PORTAL_RETURN_URL}
    )
    signals.billing_portal_created.send(sender=user.__class__, user=user, session=session)
    return session


@add_stripe_customer_if_not_existing
def create_setup_intent(user: Any, **kwargs: Any) -> stripe.SetupIntent:
    """A SetupIntent for saving a payment method off-session (confirm it with Stripe.js
    `confirmCardSetup`). Types from STRIPE_PAYMENT_METHOD_TYPES; `kwargs` are Stripe's parameters.
    setup_intent_created is sent."""
    refuse_owner_override(kwargs, "customer")
    params = {
        "payment_method_types": list(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        "usage": "off_session",
        **kwargs,
        "customer": user.stripe_customer_id,
    }
    setup_intent = get_client().v1.setup_intents.create(params=params)
    signals.setup_intent_created.send(sender=user.__class__, user=user, setup_intent=setup_intent)
    return setup_intent
