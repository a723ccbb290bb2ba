"""Updating a subscription (`POST /v1/subscriptions/{id}`, the item routes, the portal's cancel button): its
items, its cancellation, its details and its trial, announced by one `customer.subscription.updated`."""

from __future__ import annotations

from typing import Any

from ..errors import invalid_request
from ..params import Params, as_bool, as_dict, as_int, as_objects, merge_metadata
from ..store import StripeObject
from . import entitlements
from .common import emit_update, set_fields, snapshot
from .payment_methods import owned_payment_method
from .renewals import end_trial
from .subscription_items import change_items, items_of, period_of
from .subscription_status import ENDED


def update_subscription(fake: Any, subscription: StripeObject, params: Params) -> StripeObject:
    """Apply `params`; `trial_end=now` on a trialing subscription also starts and bills its first period."""
    if subscription["status"] in ENDED:
        raise invalid_request("A canceled subscription can only update its cancellation_details and metadata.")
    before = snapshot(subscription)
    start, end = period_of(subscription)  # taken before the items change: new items join this period
    change_items(fake, subscription, as_objects(params, "items"), start, end)
    _change_cancellation(fake, subscription, params, end)
    _change_details(fake, subscription, params)
    if params.get("trial_end") == "now" and subscription["status"] == "trialing":
        emit_update(fake, "customer.subscription.updated", subscription, before)
        end_trial(fake, subscription)
        return subscription
    _move_trial_end(fake, subscription, params)
    emit_update(fake, "customer.subscription.updated", subscription, before)
    entitlements.refresh(fake, subscription["customer"])
    return subscription


def _change_cancellation(fake: Any, subscription: StripeObject, params: Params, period_end: int) -> None:
    """`cancel_at_period_end` and `cancel_at`; a `cancel_at` at the period's end counts as the former."""
    if "cancel_at_period_end" in params:
        if as_bool(params, "cancel_at_period_end"):
            subscription.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=fake.now())
        else:
            subscription.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if "cancel_at" in params:
        cancel_at = as_int(params, "cancel_at")
        subscription.update(
            cancel_at=cancel_at,
            cancel_at_period_end=cancel_at == period_end,
            canceled_at=fake.now() if cancel_at else None,
        )


def _change_details(fake: Any, subscription: StripeObject, params: Params) -> None:
    """The default payment method (the customer's own; empty unsets it), metadata, description, and the
    cancellation's comment and feedback."""
    if "default_payment_method" in params:
        reference = params["default_payment_method"]
        subscription["default_payment_method"] = (
            owned_payment_method(fake, reference, subscription["customer"], "default_payment_method")
            if reference
            else None
        )
    subscription["metadata"] = merge_metadata(subscription["metadata"], params)
    set_fields(subscription, params, ("description",))
    details = as_dict(params, "cancellation_details")
    for name in ("comment", "feedback"):
        if name in details:
            subscription["cancellation_details"][name] = details[name] or None


def _move_trial_end(fake: Any, subscription: StripeObject, params: Params) -> None:
    """A new `trial_end` (a timestamp) puts the subscription in a trial until then, its items' period with it."""
    trial_end = params.get("trial_end")
    if not trial_end or trial_end == "now":
        return
    new_end = as_int(params, "trial_end")
    subscription.update(trial_end=new_end, status="trialing", billing_cycle_anchor=new_end)
    subscription["trial_start"] = subscription["trial_start"] or fake.now()
    for item in items_of(subscription):
        item["current_period_end"] = new_end
