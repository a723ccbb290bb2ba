"""What a user asks for themselves (the REST API, the portal's pages), with the project's billing policy
applied: the edge validates the request's shape and passes its fields here; what reaches Stripe, and how a
payment is taken, is decided here. Other code calls the general writes (`create_subscription`,
`modify_subscription`, `create_setup_checkout`) and chooses for itself.
"""

from __future__ import annotations

from typing import Any

import stripe

from ..models import Subscription
from .checkout import create_setup_checkout
from .mirror import find_owned_row
from .promotion_codes import discounts_for
from .subscriptions import create_subscription, item_change, modify_subscription


def subscribe(
    billable: Any,
    price_id: str,
    *,
    default_payment_method: str | None = None,
    set_as_default_payment_method: bool = False,
    promotion_code: str | None = None,
) -> stripe.Subscription:
    """Subscribe the user to `price_id` as they asked: with their own payment method (made the customer's
    default with `set_as_default_payment_method`), a `promotion_code` when the project takes them (else
    StripeRequestRefused), the project's trial if any (never one of the user's choosing). A declined card
    fails the call (a CardError) instead of leaving an incomplete subscription behind: the user's card was
    confirmed with a SetupIntent already (the self-hosted checkout)."""
    discounts = discounts_for(promotion_code)
    card = {} if default_payment_method is None else {"default_payment_method": default_payment_method}
    return create_subscription(
        billable,
        price_id,
        set_as_default_payment_method=set_as_default_payment_method,
        payment_behavior="error_if_incomplete",
        **card,
        **discounts,
    )


def change_subscription(
    billable: Any,
    subscription_id: str,
    *,
    default_payment_method: str | None = None,
    set_as_default_payment_method: bool = False,
    cancel_at_period_end: bool | None = None,
    price_id: str | None = None,
    quantity: int | None = None,
) -> stripe.Subscription:
    """Change one of the user's single-item subscriptions as they asked: its card, whether it renews, its
    price and/or quantity (paid before it applies, see `modify_subscription`). Only what is given changes."""
    changes: dict[str, Any] = {}
    if default_payment_method is not None:
        changes["default_payment_method"] = default_payment_method
    if cancel_at_period_end is not None:
        changes["cancel_at_period_end"] = cancel_at_period_end
    if price_id is not None or quantity is not None:
        changes["items"] = [item_change(billable, subscription_id, price=price_id, quantity=quantity)]
    return modify_subscription(
        billable, subscription_id, set_as_default_payment_method=set_as_default_payment_method, **changes
    )


def create_payment_method_checkout(billable: Any, subscription_id: str | None = None) -> stripe.checkout.Session:
    """A setup-mode Checkout Session where the user saves a new card, optionally for one of their own
    subscriptions (StripeWrongCustomer for anyone else's), whose id the setup intent keeps in its metadata."""
    extra: dict[str, Any] = {}
    if subscription_id:
        find_owned_row(billable, Subscription, subscription_id)
        extra["setup_intent_data"] = {"metadata": {"subscription_id": subscription_id}}
    return create_setup_checkout(billable, **extra)
