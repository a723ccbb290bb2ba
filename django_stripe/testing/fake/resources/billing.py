"""Subscriptions, subscription items and invoices, and what the passing of time does to them."""

from __future__ import annotations

from typing import Any

from ..clock import DAY, period_end_after
from ..errors import card_declined, invalid_request, parameter_invalid, resource_missing
from ..lists import all_of, field_is, list_of, list_page
from ..params import Params, as_bool, as_dict, as_int, as_list, created_filter, merge_metadata, one_of, require
from ..routing import Request, routes
from ..shapes import build, deleted
from ..store import StripeObject
from . import entitlements
from .common import emit_update, set_fields, snapshot
from .customers import _owned_payment_method, card_behaviour

ENDED = ("canceled", "incomplete_expired")
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
INCOMPLETE_EXPIRES_AFTER = 23 * 3600
TRIAL_WILL_END_BEFORE = 3 * DAY


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


# -- invoices ------------------------------------------------------------------------------------------------


def create_invoice(
    fake: Any,
    subscription: StripeObject,
    billing_reason: str,
    period: tuple[int, int],
    lines_period: tuple[int, int],
    free: bool = False,
) -> StripeObject:
    """A draft invoice billing the subscription's items for `lines_period` (free during a trial)."""
    store = fake.store
    customer = store.get(subscription["customer"])
    invoice_id = store.new_id("in_", 24)
    lines = []
    for item in items_of(subscription):
        price = item["price"]
        unit_amount = 0 if free else price["unit_amount"]
        amount = unit_amount * item["quantity"]
        product = store.get(price["product"]) or {"name": price["product"]}
        description = f"{item['quantity']} × {product['name']}" + (" (trial)" if free else "")
        lines.append(
            build(
                "line_item",
                amount=amount,
                currency=price["currency"],
                description=description,
                discount_amounts=[],
                discountable=True,
                discounts=[],
                id=store.new_id("il_", 24),
                invoice=invoice_id,
                livemode=False,
                metadata={},
                parent={
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription["id"],
                        "subscription_item": item["id"],
                    },
                    "type": "subscription_item_details",
                },
                period={"end": lines_period[1], "start": lines_period[0]},
                pretax_credit_amounts=[],
                pricing={
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "type": "price_details",
                    "unit_amount_decimal": str(unit_amount),
                },
                quantity=item["quantity"],
                quantity_decimal=str(item["quantity"]),
                subscription=subscription["id"],
                subtotal=amount,
                taxes=[],
            )
        )
    total = sum(line["amount"] for line in lines)
    invoice = build(
        "invoice",
        account_country="US",
        account_name="Fake Stripe",
        account_tax_ids=None,
        amount_due=total,
        amount_overpaid=0,
        amount_paid=0,
        amount_remaining=total,
        amount_shipping=0,
        application=None,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None},
        automatically_finalizes_at=None,
        billing_reason=billing_reason,
        collection_method=subscription["collection_method"],
        created=fake.now(),
        currency=subscription["currency"],
        custom_fields=None,
        customer=subscription["customer"],
        customer_account=None,
        customer_address=customer.get("address") if customer else None,
        customer_email=customer.get("email") if customer else None,
        customer_name=customer.get("name") if customer else None,
        customer_phone=customer.get("phone") if customer else None,
        customer_shipping=customer.get("shipping") if customer else None,
        customer_tax_exempt=customer.get("tax_exempt", "none") if customer else "none",
        customer_tax_ids=[],
        default_payment_method=None,
        default_source=None,
        default_tax_rates=[],
        description=None,
        discounts=[],
        due_date=None,
        effective_at=None,
        ending_balance=None,
        footer=None,
        from_invoice=None,
        hosted_invoice_url=None,
        id=invoice_id,
        invoice_pdf=None,
        issuer={"type": "self"},
        last_finalization_error=None,
        latest_revision=None,
        lines={"data": lines, "has_more": False, "object": "list", "url": f"/v1/invoices/{invoice_id}/lines"},
        livemode=False,
        metadata={},
        next_payment_attempt=None,
        number=None,
        on_behalf_of=None,
        parent={
            "quote_details": None,
            "subscription_details": {"metadata": dict(subscription["metadata"]), "subscription": subscription["id"]},
            "type": "subscription_details",
        },
        payment_settings={"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        period_end=period[1],
        period_start=period[0],
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        receipt_number=None,
        rendering=None,
        shipping_cost=None,
        shipping_details=None,
        starting_balance=0,
        statement_descriptor=None,
        status="draft",
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        subscription=None,
        subtotal=total,
        subtotal_excluding_tax=total,
        test_clock=None,
        total=total,
        total_discount_amounts=[],
        total_excluding_tax=total,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        webhooks_delivered_at=None,
    )
    store.add(invoice)
    subscription["latest_invoice"] = invoice_id
    return invoice


def finalize_invoice(fake: Any, invoice: StripeObject) -> None:
    now = fake.now()
    customer = fake.store.get(invoice["customer"])
    sequence = 1
    if customer and not customer.get("deleted"):
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
    prefix = customer.get("invoice_prefix", "FAKE") if customer else "FAKE"
    invoice.update(
        status="open",
        number=f"{prefix}-{sequence:04d}",
        effective_at=now,
        ending_balance=0,
        hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice['id']}",
        invoice_pdf=f"https://pay.stripe.com/invoice/{invoice['id']}/pdf",
        webhooks_delivered_at=now,
    )
    invoice["status_transitions"]["finalized_at"] = now
    if invoice["collection_method"] == "send_invoice":
        invoice["due_date"] = now + 30 * DAY
    fake.emit("invoice.finalized", invoice)


def payment_method_for(fake: Any, invoice: StripeObject, subscription: StripeObject | None) -> str | None:
    if invoice["default_payment_method"]:
        return invoice["default_payment_method"]
    if subscription and subscription["default_payment_method"]:
        return subscription["default_payment_method"]
    customer = fake.store.get(invoice["customer"])
    if customer and not customer.get("deleted"):
        return customer["invoice_settings"]["default_payment_method"]
    return None


def charge_outcome(fake: Any, invoice: StripeObject, payment_method_id: str | None) -> str | None:
    """None when the charge succeeds, else the decline code."""
    if invoice["amount_due"] == 0:
        return None
    if payment_method_id is None:
        return "no_payment_method"
    behaviour, decline_code = card_behaviour(fake, payment_method_id)
    return None if behaviour == "ok" else decline_code


def pay_invoice(fake: Any, invoice: StripeObject, payment_method_id: str | None = None) -> bool:
    """Attempt payment of an open invoice, with its events; True when it is paid."""
    subscription = fake.store.get(invoice["parent"]["subscription_details"]["subscription"])
    payment_method_id = payment_method_id or payment_method_for(fake, invoice, subscription)
    failure = charge_outcome(fake, invoice, payment_method_id)
    if invoice["amount_due"] > 0:
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
    if failure is not None:
        invoice["next_payment_attempt"] = fake.now() + 3 * DAY if invoice["attempt_count"] < 4 else None
        fake.emit("invoice.payment_failed", invoice)
        return False
    now = fake.now()
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0, next_payment_attempt=None)
    invoice["status_transitions"]["paid_at"] = now
    fake.emit("invoice.paid", invoice)
    fake.emit("invoice.payment_succeeded", invoice)
    return True


def bill(fake: Any, invoice: StripeObject) -> bool:
    """Announce a new draft invoice, finalize it and (when charged automatically) attempt payment."""
    fake.emit("invoice.created", invoice)
    finalize_invoice(fake, invoice)
    if invoice["collection_method"] == "send_invoice" and invoice["amount_due"] > 0:
        return False
    return pay_invoice(fake, invoice)


@routes.get("/v1/invoices/{id}")
def get_invoice(request: Request) -> StripeObject:
    return request.fake.store.require(request.args["id"], "invoice")


@routes.get("/v1/invoices/{id}/lines")
def get_invoice_lines(request: Request) -> dict[str, Any]:
    invoice = request.fake.store.require(request.args["id"], "invoice")
    return list_of(request, invoice["lines"]["data"], invoice["lines"]["url"])


@routes.get("/v1/invoices")
def list_invoices(request: Request) -> dict[str, Any]:
    params = request.params
    subscription_id = params.get("subscription")
    created = created_filter(params)
    return list_page(
        request,
        "invoice",
        all_of(
            field_is("customer", params.get("customer")),
            field_is("status", one_of(params, "status", ("draft", "open", "paid", "uncollectible", "void"))),
            (lambda i: i["parent"]["subscription_details"]["subscription"] == subscription_id)
            if subscription_id
            else None,
            (lambda i: created(i["created"])) if created else None,
        ),
    )


@routes.post("/v1/invoices/{id}/pay")
def post_pay_invoice(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    invoice = fake.store.require(request.args["id"], "invoice")
    if invoice["status"] != "open":
        raise invalid_request(f"Invoice is already {invoice['status']}", code="invoice_not_open")
    payment_method_id = None
    if params.get("payment_method"):
        payment_method_id = _owned_payment_method(fake, params["payment_method"], invoice["customer"], "payment_method")
    paid = pay_invoice(fake, invoice, payment_method_id)
    subscription = fake.store.get(invoice["parent"]["subscription_details"]["subscription"])
    if subscription is not None and paid and subscription["status"] in ("incomplete", "past_due", "unpaid"):
        set_status(fake, subscription, "active")
    if not paid:
        raise card_declined(charge_outcome(fake, invoice, payment_method_id) or "generic_decline")
    return invoice


@routes.post("/v1/invoices/{id}/void")
def post_void_invoice(request: Request) -> StripeObject:
    invoice = request.fake.store.require(request.args["id"], "invoice")
    if invoice["status"] != "open":
        raise invalid_request("You can only void an open invoice.", code="invoice_not_open")
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = request.fake.now()
    request.fake.emit("invoice.voided", invoice)
    return invoice


# -- subscriptions -------------------------------------------------------------------------------------------


def set_status(fake: Any, subscription: StripeObject, status: str) -> None:
    before = snapshot(subscription)
    subscription["status"] = status
    emit_update(fake, "customer.subscription.updated", subscription, before)
    entitlements.refresh(fake, subscription["customer"])


def create_subscription(fake: Any, params: Params) -> StripeObject:
    store = fake.store
    customer = store.require(require(params, "customer"), "customer", "customer")
    specs = as_list(params, "items")
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
        payment_method_id = _owned_payment_method(
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
    store.add(subscription)
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
    for n, spec in enumerate(as_list(params, "items")):
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
            _owned_payment_method(fake, reference, subscription["customer"], "default_payment_method")
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


def _update_item(fake: Any, subscription: StripeObject, spec: Any, param: str, start: int, end: int) -> None:
    if not isinstance(spec, dict):
        raise parameter_invalid(param, f"Invalid object: {param}", "parameter_invalid_object")
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
    return list_of(request, items, subscription["items"]["url"])


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


# -- the passing of time -------------------------------------------------------------------------------------


def run_clock(fake: Any, target: int) -> None:
    """Process, in time order, everything that falls due up to `target`, then leave the clock at `target`."""
    while (due := _next_due(fake, target)) is not None:
        moment, subscription, action = due
        fake.clock.move_to(moment)
        fake.clock.pin(moment)
        try:
            action(fake, subscription)
        finally:
            fake.clock.pin(None)
    fake.clock.move_to(target)


def _next_due(fake: Any, target: int) -> tuple[int, StripeObject, Any] | None:
    earliest = None
    for subscription in fake.store.newest_first("subscription"):
        due = _due_for(fake, subscription)
        if due is not None and due[0] <= target and (earliest is None or due[0] < earliest[0]):
            earliest = (due[0], subscription, due[1])
    return earliest


def _due_for(fake: Any, subscription: StripeObject) -> tuple[int, Any] | None:
    status = subscription["status"]
    if status in ENDED:
        return None
    if status == "incomplete":
        return subscription["created"] + INCOMPLETE_EXPIRES_AFTER, expire_incomplete
    candidates = []
    if subscription["cancel_at"]:
        candidates.append((subscription["cancel_at"], 0, cancel_subscription))
    if status == "trialing":
        reminded = fake.store.private.get(subscription["id"], {}).get("trial_will_end_sent")
        reminder_at = subscription["trial_end"] - TRIAL_WILL_END_BEFORE
        if not reminded and reminder_at > subscription["trial_start"]:
            candidates.append((reminder_at, 1, trial_will_end))
        candidates.append((subscription["trial_end"], 2, end_trial))
    else:
        candidates.append((period_of(subscription)[1], 2, renew))
    moment, _, action = min(candidates, key=lambda c: (c[0], c[1]))
    return moment, action


def expire_incomplete(fake: Any, subscription: StripeObject) -> None:
    before = snapshot(subscription)
    subscription.update(status="incomplete_expired", ended_at=fake.now())
    invoice = fake.store.get(subscription["latest_invoice"] or "")
    if invoice and invoice["status"] == "open":
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = fake.now()
        fake.emit("invoice.voided", invoice)
    emit_update(fake, "customer.subscription.updated", subscription, before)


def trial_will_end(fake: Any, subscription: StripeObject) -> None:
    fake.store.private.setdefault(subscription["id"], {})["trial_will_end_sent"] = True
    fake.emit("customer.subscription.trial_will_end", subscription)


def end_trial(fake: Any, subscription: StripeObject) -> None:
    """The trial is over: a new billing period starts now and its invoice is charged."""
    now = fake.now()
    before = snapshot(subscription)
    old_period = period_of(subscription)
    interval, count = interval_of(subscription)
    new_end = period_end_after(now, now, interval, count)
    subscription.update(status="active", trial_end=min(subscription["trial_end"] or now, now), billing_cycle_anchor=now)
    for item in items_of(subscription):
        item.update(current_period_start=now, current_period_end=new_end)
    _bill_new_period(fake, subscription, before, old_period)


def renew(fake: Any, subscription: StripeObject) -> None:
    """The period ended: the items move to the next period and its invoice is charged."""
    before = snapshot(subscription)
    old_period = period_of(subscription)
    interval, count = interval_of(subscription)
    start = old_period[1]
    new_end = period_end_after(subscription["billing_cycle_anchor"], start, interval, count)
    for item in items_of(subscription):
        item.update(current_period_start=start, current_period_end=new_end)
    _bill_new_period(fake, subscription, before, old_period)


def _bill_new_period(fake: Any, subscription: StripeObject, before: StripeObject, old_period: tuple[int, int]) -> None:
    invoice = create_invoice(fake, subscription, "subscription_cycle", old_period, period_of(subscription))
    emit_update(fake, "customer.subscription.updated", subscription, before)
    paid = bill(fake, invoice)
    if paid and subscription["status"] == "past_due":
        set_status(fake, subscription, "active")
    elif (
        not paid and subscription["status"] == "active" and subscription["collection_method"] == "charge_automatically"
    ):
        set_status(fake, subscription, "past_due")
    else:
        entitlements.refresh(fake, subscription["customer"])
