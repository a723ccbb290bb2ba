"""Stripe-hosted pages (Checkout, Billing Portal) and setup intents for the self-hosted checkout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..conf import stripe_settings
from ..references import CHECKOUT_USER_KEY
from . import params
from .catalog import purchasable_price
from .customers import add_stripe_customer_if_not_existing, create_customer, refuse_owner_override
from .params import each_entry, forward_only
from .trials import TRIAL_PARAMS, granted_trial


@add_stripe_customer_if_not_existing
def create_checkout(user: Any, method: Callable[..., stripe.checkout.Session] | None = None, **kwargs: Any):
    """A Checkout Session for the user: the success and cancel URLs and payment method types from settings,
    then `kwargs` (Stripe's parameters among `params.CHECKOUT`; anything else is a TypeError), always with
    the user's own customer and `client_reference_id` set to the user's pk. `line_items` name active prices
    with a quantity (no `price_data`: the amount is the price's); the promotion code box is offered when
    STRIPE_ALLOW_PROMOTION_CODES is on.

    `method` creates the session, called with the parameters as keyword arguments (default: the SDK's
    `checkout.sessions.create`). Prefer `create_subscription_checkout` or `create_setup_checkout`.
    checkout_created is sent.
    """
    refuse_owner_override(kwargs, "customer", "client_reference_id")
    _check_checkout_params(kwargs)
    promotion_codes = {"allow_promotion_codes": True} if stripe_settings.STRIPE_ALLOW_PROMOTION_CODES else {}
    params = {
        "success_url": stripe_settings.STRIPE_CHECKOUT_SUCCESS_URL,
        "cancel_url": stripe_settings.STRIPE_CHECKOUT_CANCEL_URL,
        "payment_method_types": list(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        **promotion_codes,
        **kwargs,
        "customer": user.stripe_customer_id,
        "client_reference_id": str(user.pk),
        # What the webhook links the session's customer to the user by: a buyer can set client_reference_id.
        "metadata": {**(kwargs.get("metadata") or {}), CHECKOUT_USER_KEY: str(user.pk)},
    }
    session = method(**params) if method else get_client().v1.checkout.sessions.create(params=params)
    signals.checkout_created.send(sender=user.__class__, user=user, session=session)
    return session


def _check_checkout_params(kwargs: dict[str, Any]) -> None:
    forward_only("create_checkout", kwargs, params.CHECKOUT)
    forward_only("create_checkout() subscription_data", kwargs.get("subscription_data"), params.SUBSCRIPTION_DATA)
    forward_only("create_checkout() setup_intent_data", kwargs.get("setup_intent_data"), params.SETUP_INTENT_DATA)
    for item in each_entry("create_checkout", "line_items", kwargs.get("line_items", []), params.LINE_ITEM):
        purchasable_price(item.get("price"))


def create_subscription_checkout(user: Any, price_id: str, rest: bool = False, **kwargs: Any):
    """A Checkout Session subscribing the user to `price_id`, with the project's trial (see
    `create_subscription`) when the customer never had one. An unknown price, or one of a product the user
    may not see, raises StripeObjectNotFound / StripeAccessDenied; an archived one StripePriceUnavailable.
    `rest` is the original API's flag, accepted with nothing left to do (see payments/catalog.py)."""
    price = purchasable_price(price_id)
    subscription_data = dict(kwargs.pop("subscription_data", None) or {})
    customer_id = create_customer(user).stripe_customer_id
    if not TRIAL_PARAMS & set(subscription_data):
        subscription_data.update(granted_trial(customer_id, price))
    line_items = [{"price": price_id, "quantity": 1}]
    extra = {"subscription_data": subscription_data} if subscription_data else {}
    return create_checkout(user, mode="subscription", line_items=line_items, **extra, **kwargs)


def create_setup_checkout(user: Any, rest: bool = False, **kwargs: Any):
    """A Checkout Session in setup mode, where the user saves a payment method for later. `rest` is
    accepted, as by `create_subscription_checkout`."""
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
    `confirmCardSetup`). Types from STRIPE_PAYMENT_METHOD_TYPES; `kwargs` are Stripe's parameters among
    `params.SETUP_INTENT`.
    setup_intent_created is sent."""
    refuse_owner_override(kwargs, "customer")
    forward_only("create_setup_intent", kwargs, params.SETUP_INTENT)
    request = {
        "payment_method_types": list(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        "usage": "off_session",
        **kwargs,
        "customer": user.stripe_customer_id,
    }
    setup_intent = get_client().v1.setup_intents.create(params=request)
    signals.setup_intent_created.send(sender=user.__class__, user=user, setup_intent=setup_intent)
    return setup_intent
