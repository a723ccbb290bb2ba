"""Create, change, cancel and resume the user's subscriptions, through Stripe, mirrored at once."""

from __future__ import annotations

from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..models import PaymentMethod, Subscription
from .access import access_items, customer_id_of
from .catalog import retrieve_price
from .customers import add_stripe_customer_if_not_existing, modify_customer, refuse_owner_override
from .mirror import owned, remember


@add_stripe_customer_if_not_existing
def create_subscription(
    user: Any, price_id: str, set_as_default_payment_method: bool = False, **kwargs: Any
) -> stripe.Subscription:
    """Subscribe the user to `price_id`. `kwargs` are Stripe's parameters (`default_payment_method`,
    `trial_period_days`, `payment_behavior`, ...). The payment method must be the user's own; with
    `set_as_default_payment_method` it also becomes the customer's default. The subscription is in the
    mirror before this returns, so `is_subscribed` is true at once. subscription_created is sent."""
    refuse_owner_override(kwargs, "customer", "items")
    retrieve_price(user, price_id)
    payment_method = kwargs.get("default_payment_method")
    if payment_method:
        owned(user, PaymentMethod, payment_method)
        if set_as_default_payment_method:
            modify_customer(user, invoice_settings={"default_payment_method": payment_method})
    params = {**kwargs, "customer": user.stripe_customer_id, "items": [{"price": price_id}]}
    subscription = get_client().v1.subscriptions.create(params=params)
    remember(subscription)
    signals.subscription_created.send(sender=user.__class__, user=user, subscription=subscription)
    return subscription


def modify_subscription(
    user: Any, sub_id: str, set_as_default_payment_method: bool = False, **kwargs: Any
) -> stripe.Subscription:
    """Change one of the user's subscriptions with Stripe's parameters. A `default_payment_method` (or the
    seed's `payment_method`) must be the user's own; with `set_as_default_payment_method` it becomes the
    customer's default too. New prices in `items` are checked like `create_subscription`'s. Another
    customer's subscription raises StripeWrongCustomer. subscription_modified is sent."""
    owned(user, Subscription, sub_id)
    if "payment_method" in kwargs:
        kwargs["default_payment_method"] = kwargs.pop("payment_method")
    for item in kwargs.get("items") or []:
        price = isinstance(item, dict) and (item.get("price") or item.get("plan"))  # `plan`: the older name
        if price:
            retrieve_price(user, price)
    payment_method = kwargs.get("default_payment_method")
    if payment_method:
        owned(user, PaymentMethod, payment_method)
        if set_as_default_payment_method:
            modify_customer(user, invoice_settings={"default_payment_method": payment_method})
    subscription = get_client().v1.subscriptions.update(sub_id, params=kwargs)
    remember(subscription)
    signals.subscription_modified.send(sender=user.__class__, user=user, subscription=subscription)
    return subscription


def cancel_subscription(user: Any, subscription_id: str) -> stripe.Subscription:
    """Cancel one of the user's subscriptions now. subscription_cancelled is sent."""
    owned(user, Subscription, subscription_id)
    subscription = get_client().v1.subscriptions.cancel(subscription_id)
    remember(subscription)
    signals.subscription_cancelled.send(sender=user.__class__, user=user, subscription=subscription)
    return subscription


def cancel_subscription_for_product(user: Any, product_id: str) -> bool:
    """Cancel the user's subscription giving access to `product_id`, if any; True when there was one."""
    customer_id = customer_id_of(user)
    if not customer_id:
        return False
    sub_id = access_items(customer_id, product_id).values_list("subscription_id", flat=True).first()
    if sub_id is None:
        return False
    cancel_subscription(user, sub_id)
    return True


def cancel_subscription_at_period_end(user: Any, sub_id: str) -> stripe.Subscription:
    """Stop renewing: the subscription stays active until the end of the paid period (a grace period)."""
    return modify_subscription(user, sub_id, cancel_at_period_end=True)


def resume_subscription(user: Any, sub_id: str) -> stripe.Subscription:
    """Undo `cancel_subscription_at_period_end` while the period has not ended."""
    return modify_subscription(user, sub_id, cancel_at_period_end=False)


def swap_subscription_price(user: Any, sub_id: str, price_id: str, **kwargs: Any) -> stripe.Subscription:
    """Move a single-item subscription to another price (`kwargs`: e.g. `proration_behavior`)."""
    return modify_subscription(user, sub_id, items=[item_change(user, sub_id, price=price_id)], **kwargs)


def change_subscription_quantity(user: Any, sub_id: str, quantity: int, **kwargs: Any) -> stripe.Subscription:
    """Change the quantity (seats) of a single-item subscription."""
    return modify_subscription(user, sub_id, items=[item_change(user, sub_id, quantity=quantity)], **kwargs)


def item_change(user: Any, sub_id: str, price: str | None = None, quantity: int | None = None) -> dict[str, Any]:
    """The `items` entry that changes the price and/or quantity of a single-item subscription."""
    subscription = owned(user, Subscription, sub_id)
    items = list(subscription.items.filter(deleted=False).values_list("id", flat=True))
    if len(items) != 1:
        raise ValueError(f"Subscription {sub_id} has {len(items)} items; change them with modify_subscription.")
    change = {"id": items[0], "price": price, "quantity": quantity}
    return {key: value for key, value in change.items() if value is not None}
