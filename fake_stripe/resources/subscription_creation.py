"""Creating a subscription (`POST /v1/subscriptions`, and Checkout): check what is asked, decide how it starts
(a trial, a first charge that succeeds or fails, or a charge left for later), store it with its items, then
bill its first invoice, with Stripe's events in Stripe's order."""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import DAY, period_end_after
from ..errors import card_declined, invalid_request, parameter_invalid
from ..params import Params, as_bool, as_int, as_objects, merge_metadata, one_of, require
from ..protocol import Fake
from ..resource import changing, emit
from ..shapes import build
from ..store import StripeObject
from . import entitlements
from .catalog import is_metered
from .invoices import bill, create_invoice, finalize_invoice
from .payment_methods import card_behaviour, owned_payment_method
from .subscription_items import billing_cycle, items_of, new_item, recurring_price

PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
COLLECTION_METHODS = ("charge_automatically", "send_invoice")
MAX_TRIAL_DAYS = 730


@dataclass(frozen=True)
class _Order:
    """What the parameters ask for, checked: whose subscription, which prices, how its invoices are paid."""

    customer: StripeObject
    specs: list[Params]
    prices: list[StripeObject]
    behaviour: str
    collection: str
    payment_method_id: str | None

    @property
    def interval(self) -> tuple[str, int]:
        recurring = self.prices[0]["recurring"]
        return recurring["interval"], recurring["interval_count"]


@dataclass(frozen=True)
class _Start:
    """When the subscription starts, when its trial ends (None: no trial) and the anchor of its billing cycle."""

    now: int
    trial_end: int | None
    anchor: int


def create_subscription(fake: Fake, params: Params) -> StripeObject:
    """A new subscription with its items and first invoice, and their events; Stripe's error for a bad request."""
    order = _checked_order(fake, params)
    start = _start(fake, params, order)
    status = _first_status(fake, order, start)
    subscription = _new_subscription(fake, params, order, start, status)
    period_end = start.trial_end or period_end_after(start.anchor, start.now, *order.interval)
    fake.store.add(subscription, owner=order.customer["id"])
    for price, spec in zip(order.prices, order.specs, strict=True):
        items_of(subscription).append(new_item(fake, subscription, price, spec, start.now, period_end))
    _schedule_cancellation(subscription, params, start.now, period_end)
    invoice = _first_invoice(fake, subscription, start, period_end)
    _set_customer_currency(fake, order.customer, subscription["currency"])
    emit(fake, "created", subscription)
    _collect_first_invoice(fake, subscription, invoice, order.behaviour)
    entitlements.refresh(fake, order.customer["id"])
    return subscription


# -- the steps, in the order they run (their order decides which error a request with two faults gets) ------


def _checked_order(fake: Fake, params: Params) -> _Order:
    customer = fake.store.require(require(params, "customer"), "customer", "customer")
    specs = as_objects(params, "items")
    if not specs:
        raise invalid_request("Missing required param: items.", "items", "parameter_missing")
    prices = _prices(fake, specs)
    behaviour = one_of(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    collection = one_of(params, "collection_method", COLLECTION_METHODS, "charge_automatically")
    payment_method_id = None
    if params.get("default_payment_method"):
        payment_method_id = owned_payment_method(
            fake, params["default_payment_method"], customer["id"], "default_payment_method"
        )
    return _Order(customer, specs, prices, behaviour, collection, payment_method_id)


def _prices(fake: Fake, specs: list[Params]) -> list[StripeObject]:
    """Each item's recurring price; all of one currency and one interval."""
    prices = [recurring_price(fake, require(spec, "price"), f"items[{n}][price]") for n, spec in enumerate(specs)]
    if len({billing_cycle(price) for price in prices}) > 1:
        raise invalid_request("All prices on a subscription must have the same `currency` and `recurring[interval]`.")
    return prices


def _start(fake: Fake, params: Params, order: _Order) -> _Start:
    now = fake.now()
    trial_end = _trial_end(params, order.prices, now)
    return _Start(now, trial_end, as_int(params, "billing_cycle_anchor") or trial_end or now)


def _trial_end(params: Params, prices: list[StripeObject], now: int) -> int | None:
    """From `trial_end`, else `trial_period_days`, else (with `trial_from_plan`) the first price's trial days."""
    if params.get("trial_end") == "now":
        return None
    if params.get("trial_end"):
        trial_end = as_int(params, "trial_end")
        if trial_end <= now:
            raise parameter_invalid("trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future.")
        return trial_end
    days = as_int(params, "trial_period_days")
    if days is None and as_bool(params, "trial_from_plan", False):
        days = prices[0]["recurring"].get("trial_period_days")
    if days:
        if days < 0 or days > MAX_TRIAL_DAYS:
            raise parameter_invalid("trial_period_days", f"trial_period_days must be between 0 and {MAX_TRIAL_DAYS}.")
        return now + days * DAY
    return None


def _first_status(fake: Fake, order: _Order, start: _Start) -> str:
    """`trialing`; `active` when nothing is charged now or the first charge succeeds; `incomplete` when it is
    left for the customer (`default_incomplete`) or fails (`error_if_incomplete` refuses the request instead)."""
    # Summed first, so that a bad quantity is refused even when nothing is charged.
    amount = sum(
        price["unit_amount"] * as_int(spec, "quantity", 1)
        for price, spec in zip(order.prices, order.specs, strict=True)
        if not is_metered(price)  # usage is billed at the renewal, nothing now
    )
    if start.trial_end is not None:
        return "trialing"
    if not (amount > 0 and order.collection == "charge_automatically"):
        return "active"
    if order.behaviour == "default_incomplete":
        return "incomplete"
    return "incomplete" if _first_charge_fails(fake, order) else "active"


def _first_charge_fails(fake: Fake, order: _Order) -> bool:
    card = order.payment_method_id or order.customer["invoice_settings"]["default_payment_method"]
    if card is None:
        raise invalid_request(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method.",
            code="resource_missing",
        )
    outcome, decline_code = card_behaviour(fake, card)
    if outcome != "ok" and order.behaviour == "error_if_incomplete":
        raise card_declined(decline_code)
    return outcome != "ok"


def _schedule_cancellation(subscription: StripeObject, params: Params, now: int, period_end: int) -> None:
    if as_bool(params, "cancel_at_period_end", False):
        subscription.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
    elif params.get("cancel_at"):
        subscription["cancel_at"] = as_int(params, "cancel_at")


def _set_customer_currency(fake: Fake, customer: StripeObject, currency: str) -> None:
    """A customer takes the currency of their first subscription, as Stripe's do."""
    if customer["currency"] is None:
        with changing(fake, customer):
            customer["currency"] = currency


def _first_invoice(fake: Fake, subscription: StripeObject, start: _Start, period_end: int) -> StripeObject:
    """The first period's draft invoice (free during a trial), which becomes the `latest_invoice`."""
    lines_period = (start.now, period_end)
    return create_invoice(
        fake,
        subscription,
        "subscription_create",
        (start.now, start.now),
        lines_period,
        free=start.trial_end is not None,
    )


def _collect_first_invoice(fake: Fake, subscription: StripeObject, invoice: StripeObject, behaviour: str) -> None:
    """`default_incomplete` leaves the first invoice open for the customer to pay; otherwise it is charged now."""
    if subscription["status"] == "incomplete" and behaviour == "default_incomplete":
        emit(fake, "created", invoice)
        finalize_invoice(fake, invoice)
    else:
        bill(fake, invoice)


# -- the new subscription's shape ----------------------------------------------------------------------------


def _new_subscription(fake: Fake, params: Params, order: _Order, start: _Start, status: str) -> StripeObject:
    """The subscription as Stripe returns it, its items list still empty."""
    subscription_id = fake.store.new_id("sub_", 24)
    return build(
        "subscription",
        id=subscription_id,
        application=None,
        application_fee_percent=None,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=start.anchor,
        billing_cycle_anchor_config=None,
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        billing_thresholds=None,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method=order.collection,
        created=start.now,
        currency=order.prices[0]["currency"],
        customer=order.customer["id"],
        customer_account=None,
        days_until_due=as_int(params, "days_until_due", 30) if order.collection == "send_invoice" else None,
        default_payment_method=order.payment_method_id,
        default_source=None,
        default_tax_rates=[],
        description=params.get("description") or None,
        discounts=[],
        ended_at=None,
        invoice_settings={
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        items={
            "data": [],
            "has_more": False,
            "object": "list",
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        latest_invoice=None,
        livemode=False,
        managed_payments={"enabled": False},
        metadata=merge_metadata({}, params),
        next_pending_invoice_item_invoice=None,
        on_behalf_of=None,
        pause_collection=None,
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        pending_invoice_item_interval=None,
        pending_setup_intent=None,
        pending_update=None,
        schedule=None,
        start_date=start.now,
        status=status,
        test_clock=None,
        transfer_data=None,
        trial_end=start.trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=start.now if start.trial_end is not None else None,
    )
