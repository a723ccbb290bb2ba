"""Create, change, cancel and resume the user's subscriptions, through Stripe, mirrored at once."""

from __future__ import annotations

import re
from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..conf import key_livemode
from ..exceptions import StripePaymentPending, StripeRequestRefused, StripeWrongCustomer
from ..models import PaymentMethod, Price, Subscription, SubscriptionItem
from . import params
from .access import access_items, customer_id_of
from .customers import add_stripe_customer_if_not_existing, modify_customer, refuse_owner_override
from .mirror import find_owned_row, mirror_stripe_object, remember_entitlements
from .new_subscriptions import starting_subscription
from .params import each_entry, forward_only, with_discounts
from .plan_changes import split_plan_change
from .products import purchasable_price
from .trials import TRIAL_PARAMS, trial_options


@add_stripe_customer_if_not_existing
def create_subscription(
    billable: Any, price_id: str, set_as_default_payment_method: bool = False, **kwargs: Any
) -> stripe.Subscription:
    """Subscribe the user to `price_id`, an active price. `kwargs` are Stripe's parameters among
    `params.NEW_SUBSCRIPTION` (`default_payment_method`, `payment_behavior`, `metadata`, ...; `discounts`
    with STRIPE_ALLOW_PROMOTION_CODES); anything else is a TypeError. The payment method must be the user's
    own; with `set_as_default_payment_method` it also becomes the customer's default. Without a trial of the
    caller's own, the project's trial (STRIPE_TRIAL_PERIOD_DAYS or the price's metadata) is granted to a
    customer who never had one. A customer with a live subscription to the price's product gets
    StripeSubscriptionExists (unless STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT). The subscription is in the
    mirror before this returns, so `is_subscribed` is true at once. subscription_created is sent."""
    refuse_owner_override(kwargs, "customer", "items")
    forward_only("create_subscription", kwargs, with_discounts(params.NEW_SUBSCRIPTION))
    price = purchasable_price(price_id)
    if kwargs.get("default_payment_method"):
        kwargs["default_payment_method"] = use_payment_method(
            billable, kwargs["default_payment_method"], set_as_default_payment_method
        )
    customer_id = billable.stripe_customer_id
    with starting_subscription(customer_id, [price]) as start:
        trial = start.with_trial({name: kwargs.pop(name) for name in TRIAL_PARAMS & set(kwargs)})
        request = {**kwargs, **trial, "customer": customer_id, "items": [{"price": price_id}]}
        request["expand"] = ["latest_invoice"]  # its first invoice is mirrored with it: remember_with_first_invoice
        subscription = get_client().v1.subscriptions.create(params=request, options=trial_options(customer_id, trial))
        remember_with_first_invoice(subscription)
        start.started(subscription)
    remember_entitlements(customer_id)
    signals.subscription_created.send(sender=billable.__class__, user=billable, subscription=subscription)
    return subscription


def remember_with_first_invoice(subscription: stripe.Subscription) -> None:
    """Mirror a subscription just created together with its first invoice (its `latest_invoice`, asked for
    expanded), so the invoice lists show it before `invoice.created` arrives. The invoice is stamped with
    the subscription's response; the subscription is stored, and returned, in Stripe's unexpanded shape
    (`latest_invoice` an id), as its webhooks and every other read carry it."""
    invoice = getattr(subscription, "latest_invoice", None)
    if invoice is not None and not isinstance(invoice, str):
        mirror_stripe_object(invoice, answered_by=subscription)
        subscription["latest_invoice"] = invoice.id
    mirror_stripe_object(subscription)


def modify_subscription(
    billable: Any, sub_id: str, set_as_default_payment_method: bool = False, **kwargs: Any
) -> stripe.Subscription:
    """Change one of the user's subscriptions with Stripe's parameters among `params.SUBSCRIPTION_CHANGE`
    (anything else is a TypeError). A `default_payment_method` (or the older name `payment_method`) must be
    the user's own; with `set_as_default_payment_method` it becomes the customer's default too. `items`
    change this subscription's own items (`id`) or add active prices (`price`), with `quantity`, `deleted`
    and `metadata`. A change of prices or quantities is paid before it applies (see plan_changes.py): when
    Stripe cannot charge it, StripePaymentPending, and the subscription is unchanged. Another customer's
    subscription raises StripeWrongCustomer. subscription_modified is sent."""
    changes = checked_subscription_change(billable, sub_id, kwargs, set_as_default_payment_method)
    subscription = apply_subscription_change(billable, sub_id, changes)
    signals.subscription_modified.send(sender=billable.__class__, user=billable, subscription=subscription)
    refuse_unpaid_change(subscription)
    return subscription


def apply_subscription_change(billable: Any, sub_id: str, changes: dict[str, Any]) -> stripe.Subscription:
    """Send a checked change to Stripe and mirror each answer: the plan change last, as its own call (a
    pending update), after the rest of the change (a new default card then pays for it)."""
    subscription_row = find_owned_row(billable, Subscription, sub_id)
    other, plan = split_plan_change(subscription_row, changes, prices_named(changes.get("items") or []))
    subscriptions = get_client().v1.subscriptions
    subscription = None
    if other or not plan:
        subscription = subscriptions.update(sub_id, params=other)
        mirror_stripe_object(subscription)
    if plan:
        subscription = subscriptions.update(sub_id, params=plan)
        mirror_stripe_object(subscription)
        remember_entitlements(subscription_row.customer_id)
    return subscription


def refuse_unpaid_change(subscription: stripe.Subscription) -> None:
    """StripePaymentPending when Stripe holds the change in `pending_update`, waiting for its payment."""
    if getattr(subscription, "pending_update", None):
        raise StripePaymentPending(subscription)


def checked_subscription_change(
    billable: Any, sub_id: str, changes: dict[str, Any], set_as_default_payment_method: bool = False
) -> dict[str, Any]:
    """Stripe's parameters of a change to the user's subscription `sub_id`, once checked: only the ones
    forwarded, its own items and active prices, the user's own payment method (which, with
    `set_as_default_payment_method`, is made the customer's default once checked, see `use_payment_method`)."""
    changes = dict(changes)
    if "payment_method" in changes:
        changes["default_payment_method"] = changes.pop("payment_method")
    forward_only("modify_subscription", changes, with_discounts(params.SUBSCRIPTION_CHANGE))
    find_owned_row(billable, Subscription, sub_id)
    if "items" in changes:
        changes["items"] = checked_item_changes(sub_id, changes["items"])
    if changes.get("default_payment_method"):
        changes["default_payment_method"] = use_payment_method(
            billable, changes["default_payment_method"], set_as_default_payment_method
        )
    return changes


def checked_item_changes(sub_id: str, items: Any) -> list[dict[str, Any]]:
    """`items` of a subscription change: each names an item of this subscription (`id`) or adds a price, and
    every price (`price`, and `plan`, its older name) is an active one. Raises before anything is sent to
    Stripe."""
    changes = each_entry("modify_subscription", "items", items, params.SUBSCRIPTION_ITEM_CHANGE)
    own_items = set(SubscriptionItem.objects.filter(subscription_id=sub_id).values_list("id", flat=True))
    for change in changes:
        if "id" in change and change["id"] not in own_items:
            raise StripeWrongCustomer(f"No such subscription item: '{change['id']}'")
        if not _price_ids(change) and "id" not in change:
            raise TypeError("modify_subscription() items: a new item needs a price")
        for price_id in _price_ids(change):
            purchasable_price(price_id)
    return changes


def prices_named(items: list[dict[str, Any]]) -> list[Price]:
    """The mirrored prices that checked `items` put on a subscription."""
    return list(Price.objects.filter(id__in=[price_id for item in items for price_id in _price_ids(item)]))


def _price_ids(item: dict[str, Any]) -> list[str]:
    return [item[name] for name in ("price", "plan") if item.get(name)]


def use_payment_method(billable: Any, payment_method: str, set_as_default: bool) -> str:
    """The id of the payment method a subscription is to be charged to, once checked to be the user's own
    (a test token is attached first, see `own_payment_method`); with `set_as_default` it also becomes the
    customer's default."""
    payment_method = own_payment_method(billable, payment_method)
    if set_as_default:
        modify_customer(billable, invoice_settings={"default_payment_method": payment_method})
    return payment_method


# Stripe's test PaymentMethods (`pm_card_visa`, `pm_card_chargeDeclined`, ...): names, not ids (an id has no
# `_` after `pm_`). They exist in test mode only, and belong to no customer until attached to one.
TEST_PAYMENT_METHOD = re.compile(r"pm_card_[A-Za-z0-9_]+")


def own_payment_method(billable: Any, payment_method: str) -> str:
    """The id of the user's own payment method `payment_method`, or StripeWrongCustomer.

    With a test-mode key, one of Stripe's test PaymentMethods (`pm_card_visa`) is taken as Stripe takes it:
    attached to the user's customer, which makes a new payment method of theirs (mirrored at once), whose id
    is returned. Any real id must already be the user's, as always: another customer's is refused."""
    if key_livemode() is False and TEST_PAYMENT_METHOD.fullmatch(payment_method):
        try:
            attached = get_client().v1.payment_methods.attach(
                payment_method, params={"customer": billable.stripe_customer_id}
            )
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":  # not one of Stripe's tokens: answered like any unknown id
                raise StripeWrongCustomer(f"No such {PaymentMethod.stripe_object_name}: '{payment_method}'") from None
            raise
        mirror_stripe_object(attached)
        return attached.id
    find_owned_row(billable, PaymentMethod, payment_method)
    return payment_method


def cancel_subscription(billable: Any, subscription_id: str) -> stripe.Subscription:
    """Cancel one of the user's subscriptions now. subscription_cancelled is sent."""
    row = find_owned_row(billable, Subscription, subscription_id)
    subscription = get_client().v1.subscriptions.cancel(subscription_id)
    mirror_stripe_object(subscription)
    remember_entitlements(row.customer_id)
    signals.subscription_cancelled.send(sender=billable.__class__, user=billable, subscription=subscription)
    return subscription


def cancel_subscription_for_product(billable: Any, product_id: str) -> bool:
    """Cancel the user's subscription giving access to `product_id`, if any; True when there was one."""
    customer_id = customer_id_of(billable)
    if not customer_id:
        return False
    sub_id = access_items(customer_id, product_id).values_list("subscription_id", flat=True).first()
    if sub_id is None:
        return False
    cancel_subscription(billable, sub_id)
    return True


def cancel_subscription_at_period_end(billable: Any, sub_id: str) -> stripe.Subscription:
    """Stop renewing: the subscription stays active until the end of the paid period (a grace period)."""
    return modify_subscription(billable, sub_id, cancel_at_period_end=True)


def resume_subscription(billable: Any, sub_id: str) -> stripe.Subscription:
    """Undo `cancel_subscription_at_period_end` while the period has not ended."""
    return modify_subscription(billable, sub_id, cancel_at_period_end=False)


def swap_subscription_price(billable: Any, sub_id: str, price_id: str, **kwargs: Any) -> stripe.Subscription:
    """Move a single-item subscription to another price (`kwargs`: e.g. `proration_behavior`)."""
    return modify_subscription(billable, sub_id, items=[item_change(billable, sub_id, price=price_id)], **kwargs)


def change_subscription_quantity(billable: Any, sub_id: str, quantity: int, **kwargs: Any) -> stripe.Subscription:
    """Change the quantity (seats) of a single-item subscription."""
    return modify_subscription(billable, sub_id, items=[item_change(billable, sub_id, quantity=quantity)], **kwargs)


def item_change(billable: Any, sub_id: str, price: str | None = None, quantity: int | None = None) -> dict[str, Any]:
    """The `items` entry that changes the price and/or quantity of a single-item subscription."""
    subscription = find_owned_row(billable, Subscription, sub_id)
    items = list(subscription.items.filter(deleted=False).values_list("id", flat=True))
    if len(items) != 1:
        raise StripeRequestRefused(
            f"Subscription {sub_id} has {len(items)} items; change them with modify_subscription."
        )
    change = {"id": items[0], "price": price, "quantity": quantity}
    return {key: value for key, value in change.items() if value is not None}
