"""Updating a subscription (`POST /v1/subscriptions/{id}`, the item routes, the hosted portal): its items, its
cancellation, its details and its trial, announced by one `customer.subscription.updated`, and what the change
costs.

A change of price or quantity is prorated by `proration_behavior`: `create_prorations` (the default) leaves the
prorations as pending invoice items for the next invoice, `always_invoice` bills them now, `none` skips them.
A new billing interval, `billing_cycle_anchor=now` or ending a trial along with other changes starts a new
period now, billed at once in full (less the unused time of the old one). An invoice billed now is collected by
`payment_behavior`: `allow_incomplete` (the default) applies the change, then charges (a decline makes the
subscription `past_due`); `default_incomplete` applies it and leaves the invoice open; `error_if_incomplete`
charges first and changes nothing on a decline (the invoice is voided, the answer a 402);
`pending_if_incomplete` charges first and holds the change as a pending update on a decline
(`pending_updates`). Trialing and incomplete subscriptions are not prorated: nothing was paid for their period.
"""

from __future__ import annotations

from typing import Any

from ..clock import period_end_after
from ..errors import card_declined, invalid_request, parameter_invalid, parameter_missing
from ..params import Params, as_bool, as_dict, as_int, as_objects, merge_metadata, one_of
from ..protocol import Fake
from ..resource import emit, updated
from ..store import StripeObject
from . import entitlements
from .common import set_fields, snapshot
from .invoice_items import add_invoice_item, invoice_item_object, pending_items, release
from .invoices import (
    bill,
    charge_outcome,
    create_invoice,
    finalize_invoice,
    pay_invoice,
    payment_method_for,
    void_invoice,
)
from .payment_methods import owned_payment_method
from .pending_updates import discard_pending_update, hold
from .prorations import PRORATION_BEHAVIORS, changed_items, create_prorations
from .renewals import end_trial
from .subscription_creation import PAYMENT_BEHAVIORS
from .subscription_items import change_items, interval_of, items_of, period_of, store_items
from .subscription_status import ENDED, set_status

UNBILLED_STATUSES = ("trialing", "incomplete")
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")


def update_subscription(fake: Fake, subscription: StripeObject, params: Params) -> StripeObject:
    """Apply `params` (see the module's docstring); `trial_end=now` alone on a trialing subscription starts and
    bills its first period as the clock would."""
    if subscription["status"] in ENDED:
        raise invalid_request("A canceled subscription can only update its cancellation_details and metadata.")
    behaviour = one_of(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    proration = one_of(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    anchor = one_of(params, "billing_cycle_anchor", ("now", "unchanged"), "unchanged")
    # A pending update's parameters are checked by its route (`pending_updates.check_supported`).
    if behaviour == "pending_if_incomplete" and subscription["collection_method"] == "send_invoice":
        raise invalid_request(
            "Pending updates are not supported for subscriptions with `collection_method=send_invoice`.",
            "payment_behavior",
        )
    before = snapshot(subscription)
    if subscription["pending_update"] and (params.get("items") or params.get("trial_end")):
        discard_pending_update(fake, subscription)
    period = period_of(subscription)  # taken before the items change: new items join this period
    at = proration_date(fake, params, period)
    candidate = snapshot(subscription)  # the subscription as the update would leave it
    change_items(fake, candidate, as_objects(params, "items"), *period)
    one_time = _one_time_prices(fake, params)
    _change_cancellation(fake, candidate, params, period[1])
    _change_details(fake, candidate, params)
    ending_trial = params.get("trial_end") == "now" and subscription["status"] == "trialing"
    credited, charged = changed_items(items_of(subscription), items_of(candidate))
    if ending_trial and behaviour == "allow_incomplete" and not (credited or charged or one_time):
        _apply(fake, subscription, candidate, before)
        end_trial(fake, subscription)  # as the clock ends a trial
        return subscription
    _move_trial_end(fake, candidate, params)
    invoice, earlier = _owed(fake, subscription, candidate, proration, anchor == "now", ending_trial, one_time, at)
    if invoice is None:
        _apply(fake, subscription, candidate, before)
        entitlements.refresh(fake, subscription["customer"])
    elif behaviour in ("allow_incomplete", "default_incomplete"):
        _apply_then_charge(fake, subscription, candidate, before, invoice, behaviour)
    else:
        _charge_then_apply(fake, subscription, candidate, before, invoice, params, earlier)
    return subscription


# -- what the update bills, and how it is collected ----------------------------------------------------------


def proration_date(fake: Fake, params: Params, period: tuple[int, int], param: str = "proration_date") -> int:
    """When the change is prorated from: `proration_date` (within the current period), else now. (`param`: how
    Stripe's error names it, `subscription_details[proration_date]` in a preview.)"""
    at = as_int(params, "proration_date")
    if at is None:
        return fake.now()
    if not period[0] <= at <= period[1]:
        raise parameter_invalid(
            param,
            "The proration_date must be within the current billing period of the subscription.",
            "parameter_invalid_integer",
        )
    return at


def _one_time_prices(fake: Fake, params: Params) -> list[tuple[StripeObject, int]]:
    """`add_invoice_items`: each one-time price and its quantity, checked before anything is made."""
    found = []
    for n, spec in enumerate(as_objects(params, "add_invoice_items")):
        param = f"add_invoice_items[{n}][price]"
        if not spec.get("price"):
            raise parameter_missing(param)
        price = fake.store.require(spec["price"], "price", param)
        if price["type"] != "one_time":
            raise parameter_invalid(
                param,
                "The price specified is set to `type=recurring` but this field only accepts prices with "
                "`type=one_time`.",
            )
        found.append((price, as_int(spec, "quantity", 1)))
    return found


def _owed(
    fake: Fake,
    subscription: StripeObject,
    candidate: StripeObject,
    proration: str,
    restart: bool,
    ending_trial: bool,
    one_time: list[tuple[StripeObject, int]],
    at: int,
) -> tuple[StripeObject | None, list[StripeObject]]:
    """What the update bills: its prorations and one-time items (pending, for the next invoice), and an invoice
    billing them now (`always_invoice`, or a new period: the trial's end, or `restart` (`billing_cycle_anchor=now`)
    or a new interval on a billed subscription) with the pending invoice items of earlier updates: `(invoice,
    earlier)`."""
    reset, credited, charged = billed_change(fake, subscription, candidate, proration, restart, ending_trial)
    earlier = pending_items(fake, subscription)
    items = create_prorations(fake, candidate, credited, charged, period_of(subscription), at)
    items += [_one_time_item(fake, candidate, price, quantity) for price, quantity in one_time]
    if not reset and not (proration == "always_invoice" and items):
        return None, []
    now = fake.now()
    lines_period = period_of(candidate)
    invoice = create_invoice(
        fake,
        candidate,
        "subscription_update",
        (now, now),
        lines_period,
        invoice_items=earlier + items,
        bill_items=reset,
    )
    return invoice, earlier


def billed_change(
    fake: Fake, subscription: StripeObject, candidate: StripeObject, proration: str, restart: bool, ending_trial: bool
) -> tuple[bool, list[StripeObject], list[StripeObject]]:
    """`(reset, credited, charged)`: whether the change starts a new period now (`candidate`'s items then span
    it, billed in full), and the items whose unused time is credited and remaining time charged. Both the update
    and its preview (`invoice_previews`) decide here, so a preview bills what the update then bills."""
    billable = subscription["status"] not in UNBILLED_STATUSES
    reset = ending_trial or (billable and (restart or interval_of(candidate) != interval_of(subscription)))
    credited, charged = changed_items(items_of(subscription), items_of(candidate))
    if reset:
        _start_new_period(fake, candidate, ending_trial)
        credited, charged = items_of(subscription), []  # the old period's unused time; the new one in full
    if not billable or proration == "none":
        credited, charged = [], []
    return reset, credited, charged


def _one_time_item(fake: Fake, subscription: StripeObject, price: StripeObject, quantity: int) -> StripeObject:
    product = fake.store.get(price["product"]) or {"name": price["product"]}
    now = fake.now()
    item = invoice_item_object(
        fake, subscription, price, quantity, price["unit_amount"] * quantity, product["name"], (now, now)
    )
    return add_invoice_item(fake, item)


def _start_new_period(fake: Fake, candidate: StripeObject, ending_trial: bool) -> None:
    """The billing cycle restarts now (a new interval, `billing_cycle_anchor=now`, the trial ended)."""
    now = fake.now()
    new_end = period_end_after(now, now, *interval_of(candidate))
    for item in items_of(candidate):
        item.update(current_period_start=now, current_period_end=new_end)
    candidate["billing_cycle_anchor"] = now
    if candidate["cancel_at_period_end"]:
        candidate["cancel_at"] = new_end
    if ending_trial:
        candidate.update(status="active", trial_end=now)


def _apply(fake: Fake, subscription: StripeObject, candidate: StripeObject, before: StripeObject) -> None:
    """The subscription becomes `candidate`, its items stored: `customer.subscription.updated`."""
    store_items(fake, items_of(subscription), items_of(candidate))
    subscription.clear()
    subscription.update(candidate)
    updated(fake, subscription, before)


def _apply_then_charge(
    fake: Fake,
    subscription: StripeObject,
    candidate: StripeObject,
    before: StripeObject,
    invoice: StripeObject,
    behaviour: str,
) -> None:
    """`allow_incomplete` charges the applied change's invoice (`past_due` when declined); `default_incomplete`
    leaves it open for the customer (`past_due` until it is paid), unless nothing is due."""
    _apply(fake, subscription, candidate, before)
    if behaviour == "default_incomplete":
        emit(fake, "created", invoice)
        finalize_invoice(fake, invoice)
        paid = invoice["amount_due"] == 0 and pay_invoice(fake, invoice)
    else:
        paid = bill(fake, invoice)
    if not paid and subscription["status"] == "active" and subscription["collection_method"] == "charge_automatically":
        set_status(fake, subscription, "past_due")
    else:
        entitlements.refresh(fake, subscription["customer"])


def _charge_then_apply(
    fake: Fake,
    subscription: StripeObject,
    candidate: StripeObject,
    before: StripeObject,
    invoice: StripeObject,
    params: Params,
    earlier: list[StripeObject],
) -> None:
    """`error_if_incomplete` and `pending_if_incomplete`: the change applies once its invoice is paid. Declined,
    the first voids the invoice and answers 402, the second holds the change as the subscription's pending
    update. (`earlier`: the invoice items of earlier updates the invoice took in.)"""
    emit(fake, "created", invoice)
    finalize_invoice(fake, invoice)
    payment_method = payment_method_for(fake, invoice, candidate)
    if invoice["collection_method"] == "send_invoice" and invoice["amount_due"] > 0:
        paid = None  # sent to the customer: nothing to wait for
    else:
        paid = pay_invoice(fake, invoice, payment_method)
    if paid is not False:
        _apply(fake, subscription, candidate, before)
        entitlements.refresh(fake, subscription["customer"])
        return
    if params.get("payment_behavior") == "error_if_incomplete":
        decline_code = charge_outcome(fake, invoice, payment_method) or "generic_decline"
        void_invoice(fake, invoice)
        release(earlier)
        raise card_declined(decline_code)
    hold(fake, subscription, candidate, invoice, params, before, earlier)


# -- the update's other fields ------------------------------------------------------------------------------


def _change_cancellation(fake: Fake, subscription: StripeObject, params: Params, period_end: int) -> None:
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


def _change_details(fake: Fake, subscription: StripeObject, params: Params) -> None:
    """The default payment method (the customer's own; empty unsets it), metadata, description, and the
    cancellation's comment and feedback."""
    if "default_payment_method" in params:
        reference = params["default_payment_method"]
        subscription["default_payment_method"] = (
            owned_payment_method(fake, reference, subscription["customer"], "default_payment_method")
            if reference
            else None
        )
    if "pause_collection" in params:
        subscription["pause_collection"] = _pause_collection(params)
    subscription["metadata"] = merge_metadata(subscription["metadata"], params)
    set_fields(subscription, params, ("description",))
    details = as_dict(params, "cancellation_details")
    for name in ("comment", "feedback"):
        if name in details:
            subscription["cancellation_details"][name] = details[name] or None


def _pause_collection(params: Params) -> dict[str, Any] | None:
    """`pause_collection[behavior]` (and `[resumes_at]`) pauses collection; `pause_collection=""` resumes it."""
    if params["pause_collection"] == "":
        return None
    pause = as_dict(params, "pause_collection")
    behavior = one_of(pause, "behavior", PAUSE_BEHAVIORS)
    if behavior is None:
        raise parameter_missing("pause_collection[behavior]")
    return {"behavior": behavior, "resumes_at": as_int(pause, "resumes_at")}


def _move_trial_end(fake: Fake, subscription: StripeObject, params: Params) -> None:
    """A new `trial_end` (a timestamp) puts the subscription in a trial until then, its items' period with it."""
    trial_end = params.get("trial_end")
    if not trial_end or trial_end == "now":
        return
    new_end = as_int(params, "trial_end")
    subscription.update(trial_end=new_end, status="trialing", billing_cycle_anchor=new_end)
    subscription["trial_start"] = subscription["trial_start"] or fake.now()
    for item in items_of(subscription):
        item["current_period_end"] = new_end
