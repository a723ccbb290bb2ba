"""Checkout Sessions (modes `subscription` and `setup`, completed as a customer would) and billing portal
sessions."""

from __future__ import annotations

from typing import Any

from ..errors import card_declined, invalid_request
from ..lists import list_of
from ..params import Params, as_bool, as_dict, as_int, as_list, as_objects, merge_metadata, one_of, require
from ..protocol import Fake
from ..resource import Resource, equal
from ..routing import Request
from ..shapes import build
from ..store import StripeObject
from .common import base_url
from .customers import create_customer
from .payment_methods import attach_payment_method, card_behaviour, resolve_payment_method
from .portal_configurations import session_configuration
from .setup_intents import confirm_setup_intent, create_setup_intent
from .subscription_creation import create_subscription
from .subscription_items import recurring_price

SESSION_LIFETIME = 24 * 3600


checkout_sessions = Resource(
    "checkout.session",
    "/v1/checkout/sessions",
    noun="checkout session",
    filters=(equal("customer"), equal("subscription"), equal("status"), equal("payment_intent")),
)
# Created only: a portal session is a link to the portal page, neither retrieved nor listed (as at Stripe).
portal_sessions = Resource(
    "billing_portal.session", "/v1/billing_portal/sessions", retrieve_route=False, list_route=False
)


def create_session(fake: Fake, params: Params) -> StripeObject:
    store = fake.store
    mode = one_of(params, "mode", ("payment", "setup", "subscription")) or require(params, "mode")
    if mode == "payment":
        raise invalid_request("The fake Stripe supports Checkout in `subscription` and `setup` mode.", "mode")
    customer_id = params.get("customer") or None
    if customer_id:
        store.require(customer_id, "customer", "customer")
    ui_mode = one_of(params, "ui_mode", ("hosted", "embedded", "custom"), "hosted")
    if ui_mode == "hosted" and not params.get("success_url"):
        raise invalid_request("Missing required param: success_url.", "success_url", "parameter_missing")
    session_id = store.new_id("cs_test_", 58)
    line_items = []
    for n, spec in enumerate(as_objects(params, "line_items")):
        price = recurring_price(fake, require(spec, "price"), f"line_items[{n}][price]")
        quantity = as_int(spec, "quantity", 1)
        product = store.get(price["product"]) or {"name": ""}
        amount = price["unit_amount"] * quantity
        line_items.append(
            build(
                "item",
                adjustable_quantity=None,
                amount_discount=0,
                amount_subtotal=amount,
                amount_tax=0,
                amount_total=amount,
                currency=price["currency"],
                description=product["name"],
                id=store.new_id("li_", 24),
                metadata=None,
                price=price,
                quantity=quantity,
            )
        )
    if mode == "subscription" and not line_items:
        raise invalid_request("Missing required param: line_items.", "line_items", "parameter_missing")
    total = sum(item["amount_total"] for item in line_items)
    currency = line_items[0]["currency"] if line_items else (params.get("currency") or None)
    session = build(
        "checkout.session",
        adaptive_pricing=None,
        after_expiration=None,
        allow_promotion_codes=as_bool(params, "allow_promotion_codes"),
        amount_subtotal=total if line_items else None,
        amount_total=total if line_items else None,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        billing_address_collection=params.get("billing_address_collection") or None,
        cancel_url=params.get("cancel_url") or None,
        client_reference_id=params.get("client_reference_id") or None,
        client_secret=f"{session_id}_secret_fake" if ui_mode != "hosted" else None,
        collected_information=None,
        consent=None,
        consent_collection=None,
        created=fake.now(),
        currency=currency,
        currency_conversion=None,
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=customer_id,
        customer_account=None,
        customer_creation=None if customer_id or mode == "setup" else "always",
        customer_details=None,
        customer_email=params.get("customer_email") or None,
        discounts=[],
        expires_at=fake.now() + SESSION_LIFETIME,
        id=session_id,
        integration_identifier=None,
        invoice=None,
        invoice_creation=None,
        livemode=False,
        locale=params.get("locale") or None,
        managed_payments={"enabled": False},
        metadata=merge_metadata({}, params),
        mode=mode,
        origin_context=None,
        payment_intent=None,
        payment_link=None,
        payment_method_collection="always",
        payment_method_configuration_details=None,
        payment_method_options={},
        payment_method_types=as_list(params, "payment_method_types") or ["card"],
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        permissions=None,
        phone_number_collection={"enabled": False},
        recovered_from=None,
        saved_payment_method_options=None,
        setup_intent=None,
        shipping_address_collection=None,
        shipping_cost=None,
        shipping_options=[],
        status="open",
        submit_type=None,
        subscription=None,
        success_url=params.get("success_url") or None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode=ui_mode,
        url=f"{base_url(fake, 'https://checkout.stripe.com')}/c/pay/{session_id}" if ui_mode == "hosted" else None,
        wallet_options=None,
    )
    store.add(session)
    store.private[session_id] = {
        "line_items": line_items,
        "subscription_data": as_dict(params, "subscription_data"),
    }
    if mode == "setup":
        setup_intent = create_setup_intent(
            fake, {"customer": customer_id or "", "metadata": as_dict(params, "setup_intent_data").get("metadata", {})}
        )
        session["setup_intent"] = setup_intent["id"]
    return session


def complete_session(fake: Fake, session_id: str, payment_method: str = "pm_card_visa") -> StripeObject:
    """What happens when the customer submits the hosted Checkout page with `payment_method`."""
    store = fake.store
    session = checkout_sessions.require(fake, session_id, "session")
    if session["status"] != "open":
        raise invalid_request(f"This Checkout Session is {session['status']}, so it can no longer be completed.")
    payment_method_obj = resolve_payment_method(fake, payment_method)
    private = store.private[session_id]
    customer_id = session["customer"]
    email = session["customer_email"] or "customer@example.com"

    if session["mode"] == "subscription":
        behaviour, decline_code = card_behaviour(fake, payment_method_obj["id"])
        data = private["subscription_data"]
        if behaviour != "ok" and not data.get("trial_period_days") and (session["amount_total"] or 0) > 0:
            raise card_declined(decline_code)
        if customer_id is None:
            customer_id = create_customer(fake, {"email": email})["id"]
        attach_payment_method(fake, payment_method_obj["id"], customer_id)
        subscription = create_subscription(
            fake,
            {
                "customer": customer_id,
                "items": [{"price": i["price"]["id"], "quantity": str(i["quantity"])} for i in private["line_items"]],
                "default_payment_method": payment_method_obj["id"],
                "trial_period_days": data.get("trial_period_days", ""),
                "trial_end": data.get("trial_end", ""),
                "metadata": data.get("metadata", {}),
                "description": data.get("description", ""),
                "payment_behavior": "allow_incomplete",
            },
        )
        invoice = store.get(subscription["latest_invoice"])
        session.update(
            subscription=subscription["id"],
            invoice=invoice["id"],
            payment_status="paid" if invoice["amount_due"] > 0 else "no_payment_required",
        )
    else:
        setup_intent = store.get(session["setup_intent"])
        setup_intent["customer"] = customer_id
        confirm_setup_intent(fake, setup_intent, {"payment_method": payment_method_obj["id"]})
    customer = store.get(customer_id) if customer_id else None
    session.update(
        status="complete",
        customer=customer_id,
        customer_details={
            "address": customer.get("address") if customer else None,
            "business_name": None,
            "email": customer.get("email") if customer else email,
            "individual_name": None,
            "name": customer.get("name") if customer else None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
    )
    checkout_sessions.emit(fake, "completed", session)
    return session


@checkout_sessions.post()
def post_sessions(request: Request) -> StripeObject:
    return create_session(request.fake, request.params)


@checkout_sessions.post("/{id}")
def update_session(request: Request) -> StripeObject:
    session = checkout_sessions.retrieve(request)
    session["metadata"] = merge_metadata(session["metadata"], request.params)
    return session


@checkout_sessions.post("/{id}/expire")
def post_expire(request: Request) -> StripeObject:
    session = checkout_sessions.retrieve(request)
    if session["status"] != "open":
        raise invalid_request(f"This Checkout Session is {session['status']} and cannot be expired.")
    session["status"] = "expired"
    checkout_sessions.emit(request.fake, "expired", session)
    return session


@checkout_sessions.get("/{id}/line_items")
def get_line_items(request: Request) -> dict[str, Any]:
    session = checkout_sessions.retrieve(request)
    items = request.fake.store.private[session["id"]]["line_items"]
    return list_of(request, items, f"/v1/checkout/sessions/{session['id']}/line_items", "line item")


# -- billing portal ------------------------------------------------------------------------------------------


@portal_sessions.post()
def post_portal_sessions(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    customer = fake.store.require(require(params, "customer"), "customer", "customer")
    configuration = session_configuration(fake, params.get("configuration"))
    session_id = fake.store.new_id("bps_", 24)
    session = build(
        "billing_portal.session",
        configuration=configuration["id"],
        created=fake.now(),
        customer=customer["id"],
        customer_account=None,
        flow=None,
        id=session_id,
        livemode=False,
        locale=params.get("locale") or None,
        on_behalf_of=None,
        return_url=params.get("return_url") or configuration["default_return_url"],
        url=f"{base_url(fake, 'https://billing.stripe.com')}/p/session/{session_id}",
    )
    fake.store.add(session)
    return session
