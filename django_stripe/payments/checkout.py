"""Checkout Sessions (Stripe's hosted payment page) and setup intents for the self-hosted checkout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..conf import stripe_settings
from ..models import Price
from ..references import checkout_marker
from . import params
from .customers import add_stripe_customer_if_not_existing, create_customer, refuse_owner_override
from .new_subscriptions import starting_subscription
from .params import each_entry, forward_only
from .products import purchasable_price
from .promotion_codes import promotion_codes_allowed
from .trials import TRIAL_PARAMS


@add_stripe_customer_if_not_existing
def create_checkout(billable: Any, method: Callable[..., stripe.checkout.Session] | None = None, **kwargs: Any):
    """A Checkout Session for the user: the success and cancel URLs and payment method types from settings,
    then `kwargs` (Stripe's parameters among `params.CHECKOUT`; anything else is a TypeError), always with
    the user's own customer and `client_reference_id` set to the user's pk. `line_items` name active prices
    with a quantity (no `price_data`: the amount is the price's); the promotion code box is offered when
    STRIPE_ALLOW_PROMOTION_CODES is on. A subscription-mode session is judged as a new subscription (see
    `create_subscription`): StripeSubscriptionExists for a product the customer has a live subscription to,
    and a trial in `subscription_data` is the customer's one trial.

    `method` creates the session, called with the parameters as keyword arguments (default: the SDK's
    `checkout.sessions.create`). Prefer `create_subscription_checkout` or `create_setup_checkout`.
    checkout_created is sent.
    """
    return _open_checkout(billable, method, kwargs, project_trial=False)


def create_subscription_checkout(billable: Any, price_id: str, rest: bool = False, **kwargs: Any):
    """A Checkout Session subscribing the user to `price_id`, with the project's trial (see
    `create_subscription`) when the customer never had one. An unknown price, or one of a product the user
    may not see, raises StripeObjectNotFound / StripeAccessDenied; an archived one StripePriceUnavailable; a
    product the customer has a live subscription to StripeSubscriptionExists. `rest` is the original API's
    flag, accepted with nothing left to do (see payments/products.py)."""
    purchasable_price(price_id)
    line_items = [{"price": price_id, "quantity": 1}]
    params = {"mode": "subscription", "line_items": line_items, **kwargs}
    return _open_checkout(create_customer(billable), None, params, project_trial=True)


def _open_checkout(billable: Any, method: Callable[..., Any] | None, kwargs: dict[str, Any], project_trial: bool):
    """Create the session; one in subscription mode under the customer's lock, as a new subscription, with
    the caller's trial, or the project's when `project_trial`."""
    refuse_owner_override(kwargs, "customer", "client_reference_id")
    prices = _checked_prices(kwargs)
    params = _session_params(billable, kwargs)
    if params.get("mode") != "subscription" or not prices:
        session = _create_session(method, params)
    else:
        with starting_subscription(billable.stripe_customer_id, prices) as start:
            data = dict(params.get("subscription_data") or {})
            given = {name: data[name] for name in TRIAL_PARAMS & set(data)}
            if given or project_trial:
                data.update(start.with_trial(given))
            session = _create_session(method, {**params, **({"subscription_data": data} if data else {})})
            start.opened(session)
    signals.checkout_created.send(sender=billable.__class__, user=billable, session=session)
    return session


def _session_params(billable: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    promotion_codes = {"allow_promotion_codes": True} if promotion_codes_allowed() else {}
    return {
        "success_url": stripe_settings.STRIPE_CHECKOUT_SUCCESS_URL,
        "cancel_url": stripe_settings.STRIPE_CHECKOUT_CANCEL_URL,
        "payment_method_types": list(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        **promotion_codes,
        **kwargs,
        "customer": billable.stripe_customer_id,
        "client_reference_id": str(billable.pk),
        # What the webhook links the session's customer to the billable by: a buyer can set client_reference_id.
        "metadata": {**(kwargs.get("metadata") or {}), **checkout_marker(billable)},
    }


def _create_session(method: Callable[..., Any] | None, params: dict[str, Any]) -> stripe.checkout.Session:
    return method(**params) if method else get_client().v1.checkout.sessions.create(params=params)


def _checked_prices(kwargs: dict[str, Any]) -> list[Price]:
    """The prices of `line_items`, each purchasable, once the parameters are checked."""
    forward_only("create_checkout", kwargs, params.CHECKOUT)
    forward_only("create_checkout() subscription_data", kwargs.get("subscription_data"), params.SUBSCRIPTION_DATA)
    forward_only("create_checkout() setup_intent_data", kwargs.get("setup_intent_data"), params.SETUP_INTENT_DATA)
    line_items = each_entry("create_checkout", "line_items", kwargs.get("line_items", []), params.LINE_ITEM)
    return [purchasable_price(item.get("price")) for item in line_items]


def create_setup_checkout(billable: Any, rest: bool = False, **kwargs: Any):
    """A Checkout Session in setup mode, where the user saves a payment method for later. `rest` is
    accepted, as by `create_subscription_checkout`."""
    return create_checkout(billable, mode="setup", **kwargs)


@add_stripe_customer_if_not_existing
def create_setup_intent(billable: Any, **kwargs: Any) -> stripe.SetupIntent:
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
        "customer": billable.stripe_customer_id,
    }
    setup_intent = get_client().v1.setup_intents.create(params=request)
    signals.setup_intent_created.send(sender=billable.__class__, user=billable, setup_intent=setup_intent)
    return setup_intent
