"""Subscriptions and their items: create (trials, payment behaviours, declines), update, cancel, list."""

from __future__ import annotations

from typing import Any

from ..clock import DAY, period_end_after
from ..errors import card_declined, invalid_request, parameter_invalid, resource_missing
from ..lists import all_of, field_is, list_of, list_page
from ..params import Params, as_bool, as_dict, as_int, as_objects, created_filter, merge_metadata, one_of, require
from ..routing import Request, routes
from ..shapes import build, deleted
from ..store import StripeObject
from . import entitlements
from .common import emit_update, set_fields, snapshot
from .invoices import bill, create_invoice, finalize_invoice
from .payment_methods import card_behaviour, owned_payment_method

ENDED = ("canceled", "incomplete_expired")
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")


# -- shapes --------------------------------------------------------------------------------------------------


def plan_of(price: StripeObject) -> StripeObject:
    recurring = price["recurring"] or {}
    return build(
        "plan",
        active=price["active"],
        amount=price["unit_amount"],
        amount_decimal=price["unit_amount_decimal"],
        billing_scheme=price["billing_scheme"],
        created=price["created"],
        currency=price["currency"],
        id=price["id"],
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        livemode=False,
        metadata=price["metadata"],
        meter=None,
        nickname=price["nickname"],
        product=price["product"],
        tiers_mode=None,
        transform_usage=None,
        trial_period_days=recurring.get("trial_period_days"),
        usage_type=recurring.get("usage_type", "licensed"),
    )


def recurring_price(fake: Any, price_id: Any, param: str) -> StripeObject:
    price = fake.store.require(price_id, "price", param)
    if price["type"] != "recurring":
        raise parameter_invalid(
            param,
            "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.",
        )
    if not price["active"]:
        raise parameter_invalid(param, "The price specified is inactive. This field only accepts active prices.")
    return price


def new_item(
    fake: Any, subscription: StripeObject, price: StripeObject, spec: Params, start: int, end: int
) -> StripeObject:
    item = build(
        "subscription_item",
        billing_thresholds=None,
        created=fake.now(),
        current_period_end=end,
        current_period_start=start,
        discounts=[],
        id=fake.store.new_id("si_"),
        metadata=merge_metadata({}, spec),
        plan=plan_of(price),
        price=price,
        quantity=as_int(spec, "quantity", 1),
        subscription=subscription["id"],
        tax_rates=[],
    )
    fake.store.add(item)
    return item


def items_of(subscription: StripeObject) -> list[StripeObject]:
    return subscription["items"]["data"]


def period_of(subscription: StripeObject) -> tuple[int, int]:
    items = items_of(subscription)
    return min(i["current_period_start"] for i in items), max(i["current_period_end"] for i in items)


def interval_of(subscription: StripeObject) -> tuple[str, int]:
    recurring = items_of(subscription)[0]["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]


# -- subscriptions -------------------------------------------------------------------------------------------


def set_status(fake: Any, subscription: StripeObject, status: str) -> None:
    before = snapshot(subscription)
    subscription["status"] = status
    emit_update(fake, "customer.subscription.updated", subscription, before)
    entitlements.refresh(fake, subscription["customer"])


def create_subscription(fake: Any, params: Params) -> StripeObject:
    store = fake.store
    customer = store.require(require(params, "customer"), "customer", "customer")
    specs = as_objects(params, "items")
    if not specs:
        raise invalid_request("Missing required param: items.", "items", "parameter_missing")
    prices = [recurring_price(fake, require(spec, "price"), f"items[{n}][price]") for n, spec in enumerate(specs)]
    currencies = {price["currency"] for price in prices}
    intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p in prices}
    if len(currencies) > 1 or len(intervals) > 1:
        raise invalid_request("All prices on a subscription must have the same `currency` and `recurring[interval]`.")
    behaviour = one_of(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    collection = one_of(params, "collection_method", ("charge_automatically", "send_invoice"), "charge_automatically")
    payment_method_id = None
    if params.get("default_payment_method"):
        payment_method_id = owned_payment_method(
            fake, params["default_payment_method"], customer["id"], "default_payment_method"
        )

    now = fake.now()
    interval, count = next(iter(intervals))
    trial_end = _trial_end(params, prices, now)
    anchor = as_int(params, "billing_cycle_anchor") or trial_end or now
    amount = sum(p["unit_amount"] * as_int(s, "quantity", 1) for p, s in zip(prices, specs, strict=True))
    will_charge = trial_end is None and amount > 0 and collection == "charge_automatically"
    charge_fails = False
    if will_charge and behaviour != "default_incomplete":
        default = payment_method_id or customer["invoice_settings"]["default_payment_method"]
        if default is None:
            raise invalid_request(
                "This customer has no attached payment source or default payment method. Please consider adding "
                "a default payment method.",
                code="resource_missing",
            )
        outcome, decline_code = card_behaviour(fake, default)
        charge_fails = outcome != "ok"
        if charge_fails and behaviour == "error_if_incomplete":
            raise card_declined(decline_code)

    if trial_end is not None:
        status = "trialing"
    elif will_charge and (behaviour == "default_incomplete" or charge_fails):
        status = "incomplete"
    else:
        status = "active"
    subscription_id = store.new_id("sub_", 24)
    subscription = build(
        "subscription",
        id=subscription_id,
        application=None,
        application_fee_percent=None,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=anchor,
        billing_cycle_anchor_config=None,
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        billing_thresholds=None,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method=collection,
        created=now,
        currency=prices[0]["currency"],
        customer=customer["id"],
        customer_account=None,
        days_until_due=as_int(params, "days_until_due", 30) if collection == "send_invoice" else None,
        default_payment_method=payment_method_id,
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
        start_date=now,
        status=status,
        test_clock=None,
        transfer_data=None,
        trial_end=trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=now if trial_end is not None else None,
    )
    period_end = trial_end or period_end_after(anchor, now, interval, count)
    store.add(subscription, owner=customer["id"])
    for price, spec in zip(prices, specs, strict=True):
        items_of(subscription).append(new_item(fake, subscription, price, spec, now, period_end))
    if as_bool(params, "cancel_at_period_end", False):
        subscription.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
    elif params.get("cancel_at"):
        subscription["cancel_at"] = as_int(params, "cancel_at")

    invoice = create_invoice(
        fake, subscription, "subscription_create", (now, now), (now, period_end), free=trial_end is not None
    )
    _set_customer_currency(fake, customer, subscription["currency"])
    fake.emit("customer.subscription.created", subscription)
    if status == "incomplete" and behaviour == "default_incomplete":
        fake.emit("invoice.created", invoice)
        finalize_invoice(fake, invoice)
    else:
        bill(fake, invoice)
    entitlements.refresh(fake, customer["id"])
    return subscription


def _trial_end(params: Params, prices: list[StripeObject], now: int) -> int | None:
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
        if days < 0 or days > 730:
            raise parameter_invalid("trial_period_days", "trial_period_days must be between 0 and 730.")
        return now + days * DAY
    return None


def _set_customer_currency(fake: Any, customer: StripeObject, currency: str) -> None:
    if customer["currency"] is None:
        before = snapshot(customer)
        customer["currency"] = currency
        emit_update(fake, "customer.updated", customer, before)


def update_subscription(fake: Any, subscription: StripeObject, params: Params) -> StripeObject:
    if subscription["status"] in ENDED:
        raise invalid_request("A canceled subscription can only update its cancellation_details and metadata.")
    before = snapshot(subscription)
    start, end = period_of(subscription)
    for n, spec in enumerate(as_objects(params, "items")):
        _update_item(fake, subscription, spec, f"items[{n}]", start, end)
    if not items_of(subscription):
        raise invalid_request("A subscription must have at least one active plan.", "items")
    if "cancel_at_period_end" in params:
        if as_bool(params, "cancel_at_period_end"):
            subscription.update(cancel_at_period_end=True, cancel_at=end, canceled_at=fake.now())
        else:
            subscription.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if "cancel_at" in params:
        cancel_at = as_int(params, "cancel_at")
        subscription.update(
            cancel_at=cancel_at, cancel_at_period_end=cancel_at == end, canceled_at=fake.now() if cancel_at else None
        )
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
    trial_end = params.get("trial_end")
    if trial_end == "now" and subscription["status"] == "trialing":
        from .renewals import end_trial  # renewals builds on this module

        emit_update(fake, "customer.subscription.updated", subscription, before)
        end_trial(fake, subscription)
        return subscription
    if trial_end and trial_end != "now":
        new_end = as_int(params, "trial_end")
        subscription.update(trial_end=new_end, status="trialing", billing_cycle_anchor=new_end)
        subscription["trial_start"] = subscription["trial_start"] or fake.now()
        for item in items_of(subscription):
            item["current_period_end"] = new_end
    emit_update(fake, "customer.subscription.updated", subscription, before)
    entitlements.refresh(fake, subscription["customer"])
    return subscription


def _update_item(fake: Any, subscription: StripeObject, spec: Params, param: str, start: int, end: int) -> None:
    items = items_of(subscription)
    if spec.get("id"):
        item = next((i for i in items if i["id"] == spec["id"]), None)
        if item is None:
            raise resource_missing("subscription item", spec["id"], f"{param}[id]")
        if as_bool(spec, "deleted", False):
            items.remove(item)
            fake.store.remove(item["id"])
            return
        if spec.get("price"):
            price = recurring_price(fake, spec["price"], f"{param}[price]")
            _check_compatible(subscription, price, f"{param}[price]", exclude=item)
            item.update(price=price, plan=plan_of(price))
        if "quantity" in spec:
            item["quantity"] = as_int(spec, "quantity")
        item["metadata"] = merge_metadata(item["metadata"], spec)
        return
    price = recurring_price(fake, require(spec, "price"), f"{param}[price]")
    _check_compatible(subscription, price, f"{param}[price]")
    items.append(new_item(fake, subscription, price, spec, start, end))


def _check_compatible(subscription: StripeObject, price: StripeObject, param: str, exclude: Any = None) -> None:
    for item in items_of(subscription):
        if item is exclude:
            continue
        other = item["price"]
        if other["currency"] != price["currency"] or (
            other["recurring"]["interval"],
            other["recurring"]["interval_count"],
        ) != (price["recurring"]["interval"], price["recurring"]["interval_count"]):
            raise parameter_invalid(param, "All prices on a subscription must have the same currency and interval.")


def cancel_subscription(fake: Any, subscription: StripeObject, params: Params | None = None) -> StripeObject:
    params = params or {}
    if subscription["status"] in ENDED:
        raise invalid_request(f"No such subscription: '{subscription['id']}'", code="resource_missing")
    now = fake.now()
    details = as_dict(params, "cancellation_details")
    subscription.update(status="canceled", ended_at=now, canceled_at=subscription["canceled_at"] or now)
    subscription["cancellation_details"] = {
        "comment": details.get("comment") or subscription["cancellation_details"]["comment"],
        "feedback": details.get("feedback") or subscription["cancellation_details"]["feedback"],
        "reason": "cancellation_requested",
    }
    fake.emit("customer.subscription.deleted", subscription)
    entitlements.refresh(fake, subscription["customer"])
    return subscription


@routes.post("/v1/subscriptions")
def post_subscriptions(request: Request) -> StripeObject:
    return create_subscription(request.fake, request.params)


@routes.get("/v1/subscriptions/{id}")
def get_subscription(request: Request) -> StripeObject:
    return request.fake.store.require(request.args["id"], "subscription")


@routes.post("/v1/subscriptions/{id}")
def post_update_subscription(request: Request) -> StripeObject:
    subscription = request.fake.store.require(request.args["id"], "subscription")
    return update_subscription(request.fake, subscription, request.params)


@routes.delete("/v1/subscriptions/{id}")
def delete_subscription(request: Request) -> StripeObject:
    subscription = request.fake.store.require(request.args["id"], "subscription")
    return cancel_subscription(request.fake, subscription, request.params)


@routes.get("/v1/subscriptions")
def list_subscriptions(request: Request) -> dict[str, Any]:
    params = request.params
    statuses = (
        "active",
        "all",
        "canceled",
        "ended",
        "incomplete",
        "incomplete_expired",
        "past_due",
        "paused",
        "trialing",
        "unpaid",
    )
    status = one_of(params, "status", statuses)
    price_id = params.get("price")
    created = created_filter(params)
    if status is None:
        status_check = lambda s: s["status"] not in ENDED  # noqa: E731
    elif status == "all":
        status_check = None
    elif status == "ended":
        status_check = lambda s: s["status"] in ENDED  # noqa: E731
    else:
        status_check = field_is("status", status)
    return list_page(
        request,
        "subscription",
        all_of(
            status_check,
            field_is("customer", params.get("customer")),
            (lambda s: any(i["price"]["id"] == price_id for i in items_of(s))) if price_id else None,
            (lambda s: created(s["created"])) if created else None,
        ),
    )


# -- subscription items --------------------------------------------------------------------------------------


def _item_and_subscription(request: Request) -> tuple[StripeObject, StripeObject]:
    item = request.fake.store.require(request.args["id"], "subscription_item", name="subscription item")
    return item, request.fake.store.require(item["subscription"], "subscription")


@routes.get("/v1/subscription_items")
def list_subscription_items(request: Request) -> dict[str, Any]:
    subscription = request.fake.store.require(require(request.params, "subscription"), "subscription", "subscription")
    items = sorted(items_of(subscription), key=lambda i: i["created"], reverse=True)
    return list_of(request, items, subscription["items"]["url"], "subscription item")


@routes.get("/v1/subscription_items/{id}")
def get_subscription_item(request: Request) -> StripeObject:
    return _item_and_subscription(request)[0]


@routes.post("/v1/subscription_items/{id}")
def post_update_subscription_item(request: Request) -> StripeObject:
    item, subscription = _item_and_subscription(request)
    spec = {key: value for key, value in request.params.items() if key in ("price", "quantity", "metadata")}
    update_subscription(request.fake, subscription, {"items": [{**spec, "id": item["id"]}]})
    return item


@routes.post("/v1/subscription_items")
def post_subscription_items(request: Request) -> StripeObject:
    params = request.params
    subscription = request.fake.store.require(require(params, "subscription"), "subscription", "subscription")
    spec = {key: value for key, value in params.items() if key in ("price", "quantity", "metadata")}
    update_subscription(request.fake, subscription, {"items": [spec]})
    return items_of(subscription)[-1]


@routes.delete("/v1/subscription_items/{id}")
def delete_subscription_item(request: Request) -> StripeObject:
    item, subscription = _item_and_subscription(request)
    update_subscription(request.fake, subscription, {"items": [{"id": item["id"], "deleted": "true"}]})
    return deleted(item)
