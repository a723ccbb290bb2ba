"""Customers, payment methods (test tokens and test card numbers) and setup intents."""

from __future__ import annotations

import copy
import hashlib
import secrets
from typing import Any

from ..errors import StripeError, card_declined, invalid_request, parameter_invalid, resource_missing
from ..lists import all_of, field_is, list_page
from ..params import Params, as_bool, as_dict, as_int, as_list, created_filter, merge_metadata, one_of, require
from ..routing import Request, routes
from ..shapes import build, deleted
from ..store import StripeObject
from .common import emit_update, set_fields, snapshot

CUSTOMER_FIELDS = ("email", "name", "description", "phone")


# -- test cards ----------------------------------------------------------------------------------------------

TEST_CARDS: dict[str, tuple[str, str]] = {
    # number: (brand, behaviour) -- "ok", "decline" (setup and charges fail), "charge_fail" (only charges fail)
    "4242424242424242": ("visa", "ok"),
    "4000056655665556": ("visa", "ok"),
    "5555555555554444": ("mastercard", "ok"),
    "2223003122003222": ("mastercard", "ok"),
    "378282246310005": ("amex", "ok"),
    "6011111111111117": ("discover", "ok"),
    "4000000000000002": ("visa", "decline"),
    "4000000000009995": ("visa", "decline"),
    "4000000000000341": ("visa", "charge_fail"),
}
DECLINE_CODES = {"4000000000009995": "insufficient_funds"}
TEST_TOKENS: dict[str, str] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeCustomerFail": "4000000000000341",
}


def token_card_number(reference: str) -> str | None:
    """The card number behind `pm_card_visa` / `tok_visa` style test tokens, or None."""
    for prefix in ("pm_card_", "tok_"):
        if reference.startswith(prefix):
            return TEST_TOKENS.get(reference[len(prefix) :])
    return None


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number[::-1]]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def card_behaviour(fake: Any, payment_method_id: str) -> tuple[str, str]:
    """How charges to this payment method go: ("ok" | "decline" | "charge_fail", decline code)."""
    number = fake.store.private.get(payment_method_id, {}).get("number", "")
    return TEST_CARDS.get(number, ("", "ok"))[1], DECLINE_CODES.get(number, "generic_decline")


# -- customers -----------------------------------------------------------------------------------------------


def create_customer(fake: Any, params: Params) -> StripeObject:
    store = fake.store
    customer_id = params.get("id") or store.new_id("cus_")
    customer = build(
        "customer",
        id=customer_id,
        address=as_dict(params, "address") or None,
        balance=as_int(params, "balance", 0),
        created=fake.now(),
        currency=None,
        default_source=None,
        delinquent=False,
        description=None,
        discount=None,
        email=None,
        invoice_prefix=secrets.token_hex(4).upper(),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        livemode=False,
        metadata=merge_metadata({}, params),
        name=None,
        next_invoice_sequence=1,
        phone=None,
        preferred_locales=as_list(params, "preferred_locales"),
        shipping=as_dict(params, "shipping") or None,
        tax_exempt=one_of(params, "tax_exempt", ("none", "exempt", "reverse"), "none"),
        test_clock=None,
    )
    set_fields(customer, params, CUSTOMER_FIELDS)
    store.add(customer)
    fake.emit("customer.created", customer)
    if params.get("payment_method"):
        payment_method = attach_payment_method(fake, params["payment_method"], customer_id, "payment_method")
        params = {**params, "invoice_settings": {"default_payment_method": payment_method["id"]}}
    default = as_dict(params, "invoice_settings").get("default_payment_method")
    if default:
        before = snapshot(customer)
        customer["invoice_settings"]["default_payment_method"] = _owned_payment_method(
            fake, default, customer_id, "invoice_settings[default_payment_method]"
        )
        emit_update(fake, "customer.updated", customer, before)
    return customer


def _owned_payment_method(fake: Any, reference: str, customer_id: str, param: str) -> str:
    payment_method = resolve_payment_method(fake, reference, param)
    if payment_method["customer"] is None:
        attach_payment_method(fake, payment_method["id"], customer_id, param)
    elif payment_method["customer"] != customer_id:
        raise invalid_request(
            f"The payment method `{payment_method['id']}` belongs to another customer.", param, "resource_missing"
        )
    return payment_method["id"]


@routes.post("/v1/customers")
def post_customers(request: Request) -> StripeObject:
    return create_customer(request.fake, request.params)


@routes.get("/v1/customers/{id}")
def get_customer(request: Request) -> StripeObject:
    obj = request.fake.store.get(request.args["id"])
    if obj is not None and obj["object"] == "customer":
        return obj  # a deleted customer answers its deletion stub, as Stripe does
    return request.fake.store.require(request.args["id"], "customer")


@routes.post("/v1/customers/{id}")
def update_customer(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    customer = fake.store.require(request.args["id"], "customer")
    before = snapshot(customer)
    set_fields(customer, params, CUSTOMER_FIELDS)
    customer["metadata"] = merge_metadata(customer["metadata"], params)
    for name in ("address", "shipping"):
        if name in params:
            customer[name] = as_dict(params, name) or None
    if "preferred_locales" in params:
        customer["preferred_locales"] = as_list(params, "preferred_locales")
    settings = as_dict(params, "invoice_settings")
    if "default_payment_method" in settings:
        reference = settings["default_payment_method"]
        customer["invoice_settings"]["default_payment_method"] = (
            _owned_payment_method(fake, reference, customer["id"], "invoice_settings[default_payment_method]")
            if reference
            else None
        )
    emit_update(fake, "customer.updated", customer, before)
    return customer


@routes.delete("/v1/customers/{id}")
def delete_customer(request: Request) -> StripeObject:
    from .billing import cancel_subscription

    fake = request.fake
    customer = fake.store.require(request.args["id"], "customer")
    for subscription in list(fake.store.newest_first("subscription")):
        if subscription["customer"] == customer["id"] and subscription["status"] not in ("canceled",):
            cancel_subscription(fake, subscription)
    stub = deleted(customer)
    fake.store.replace(stub)
    fake.emit("customer.deleted", customer)
    return stub


@routes.get("/v1/customers")
def list_customers(request: Request) -> dict[str, Any]:
    params = request.params
    created = created_filter(params)
    return list_page(
        request,
        "customer",
        all_of(field_is("email", params.get("email")), (lambda c: created(c["created"])) if created else None),
    )


# -- payment methods -----------------------------------------------------------------------------------------


def create_card(fake: Any, number: str, params: Params | None = None) -> StripeObject:
    """A card payment method for a test card number."""
    params = params or {}
    card_params = as_dict(params, "card")
    number = number.replace(" ", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_ok(number):
        raise StripeError(
            402, "Your card number is incorrect.", type="card_error", code="incorrect_number", param="number"
        )
    brand = TEST_CARDS.get(number, ({"4": "visa", "5": "mastercard", "3": "amex"}.get(number[0], "unknown"), ""))[0]
    fingerprint = hashlib.sha256(number.encode()).hexdigest()[:16]
    billing = as_dict(params, "billing_details")
    payment_method = build(
        "payment_method",
        id=fake.store.new_id("pm_", 24),
        allow_redisplay=params.get("allow_redisplay", "unspecified"),
        billing_details={
            "address": as_dict(billing, "address") or None,
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
            "tax_id": None,
        },
        card={
            "brand": brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": brand,
            "exp_month": as_int(card_params, "exp_month", 12),
            "exp_year": as_int(card_params, "exp_year", 2034),
            "fingerprint": fingerprint,
            "funding": "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": [brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        created=fake.now(),
        customer=None,
        customer_account=None,
        livemode=False,
        metadata=merge_metadata({}, params),
        type="card",
    )
    fake.store.add(payment_method)
    fake.store.private[payment_method["id"]] = {"number": number}
    return payment_method


def resolve_payment_method(fake: Any, reference: Any, param: str = "payment_method") -> StripeObject:
    """An existing payment method, or a new one made from a test token such as `pm_card_visa`."""
    if isinstance(reference, str) and (number := token_card_number(reference)):
        return create_card(fake, number)
    return fake.store.require(reference, "payment_method", param, "PaymentMethod")


def attach_payment_method(fake: Any, reference: str, customer_id: str, param: str = "payment_method") -> StripeObject:
    payment_method = resolve_payment_method(fake, reference, param)
    fake.store.require(customer_id, "customer", "customer")
    if payment_method["customer"] == customer_id:
        return payment_method
    if payment_method["customer"] is not None:
        raise invalid_request(
            "The payment method you provided has already been attached to a customer.", param, "resource_missing"
        )
    payment_method["customer"] = customer_id
    fake.emit("payment_method.attached", payment_method, {"customer": None})
    return payment_method


@routes.post("/v1/payment_methods")
def post_payment_methods(request: Request) -> StripeObject:
    params = request.params
    one_of(params, "type", ("card",)) or require(params, "type")
    card = as_dict(params, "card")
    if card.get("token"):
        number = token_card_number(card["token"])
        if number is None:
            raise parameter_invalid("card[token]", f"No such token: '{card['token']}'")
    else:
        number = require(card, "number") if card else require(params, "card")
    payment_method = create_card(request.fake, str(number), params)
    if params.get("customer"):
        attach_payment_method(request.fake, payment_method["id"], params["customer"], "customer")
    return payment_method


@routes.get("/v1/payment_methods/{id}")
def get_payment_method(request: Request) -> StripeObject:
    return resolve_payment_method(request.fake, request.args["id"], "payment_method")


@routes.post("/v1/payment_methods/{id}")
def update_payment_method(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    payment_method = fake.store.require(request.args["id"], "payment_method", name="PaymentMethod")
    before = snapshot(payment_method)
    payment_method["metadata"] = merge_metadata(payment_method["metadata"], params)
    if "allow_redisplay" in params:
        payment_method["allow_redisplay"] = one_of(params, "allow_redisplay", ("always", "limited", "unspecified"))
    billing = as_dict(params, "billing_details")
    for name in ("email", "name", "phone"):
        if name in billing:
            payment_method["billing_details"][name] = billing[name] or None
    if "address" in billing:
        payment_method["billing_details"]["address"] = as_dict(billing, "address") or None
    card = as_dict(params, "card")
    for name in ("exp_month", "exp_year"):
        if name in card:
            payment_method["card"][name] = as_int(card, name)
    emit_update(fake, "payment_method.updated", payment_method, before)
    return payment_method


@routes.post("/v1/payment_methods/{id}/attach")
def post_attach(request: Request) -> StripeObject:
    customer_id = require(request.params, "customer")
    return attach_payment_method(request.fake, request.args["id"], customer_id)


def detach_payment_method(fake: Any, payment_method: StripeObject) -> StripeObject:
    customer_id = payment_method["customer"]
    if customer_id is None:
        raise invalid_request(
            f"The payment method `{payment_method['id']}` is not attached to a customer so detachment is impossible."
        )
    payment_method["customer"] = None
    customer = fake.store.get(customer_id)
    is_default = customer and customer.get("invoice_settings", {}).get("default_payment_method") == payment_method["id"]
    if is_default:
        before = snapshot(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        emit_update(fake, "customer.updated", customer, before)
    fake.emit("payment_method.detached", payment_method, {"customer": customer_id})
    return payment_method


@routes.post("/v1/payment_methods/{id}/detach")
def post_detach(request: Request) -> StripeObject:
    payment_method = request.fake.store.require(request.args["id"], "payment_method", name="PaymentMethod")
    return detach_payment_method(request.fake, payment_method)


def _payment_method_filter(params: Params, customer_id: str | None) -> Any:
    kind = params.get("type")
    return all_of(field_is("customer", customer_id), field_is("type", kind if kind not in (None, "all") else None))


@routes.get("/v1/payment_methods")
def list_payment_methods(request: Request) -> dict[str, Any]:
    customer_id = request.params.get("customer")
    if customer_id:
        request.fake.store.require(customer_id, "customer", "customer")
    return list_page(request, "payment_method", _payment_method_filter(request.params, customer_id))


@routes.get("/v1/customers/{customer}/payment_methods")
def list_customer_payment_methods(request: Request) -> dict[str, Any]:
    customer = request.fake.store.require(request.args["customer"], "customer", "customer")
    return list_page(request, "payment_method", _payment_method_filter(request.params, customer["id"]))


@routes.get("/v1/customers/{customer}/payment_methods/{id}")
def get_customer_payment_method(request: Request) -> StripeObject:
    store = request.fake.store
    customer = store.require(request.args["customer"], "customer", "customer")
    payment_method = store.require(request.args["id"], "payment_method", name="PaymentMethod")
    if payment_method["customer"] != customer["id"]:
        raise resource_missing("PaymentMethod", request.args["id"])
    return payment_method


# -- setup intents -------------------------------------------------------------------------------------------


def create_setup_intent(fake: Any, params: Params) -> StripeObject:
    setup_intent_id = fake.store.new_id("seti_", 24)
    customer_id = params.get("customer") or None
    if customer_id:
        fake.store.require(customer_id, "customer", "customer")
    setup_intent = build(
        "setup_intent",
        id=setup_intent_id,
        application=None,
        automatic_payment_methods=None,
        cancellation_reason=None,
        client_secret=f"{setup_intent_id}_secret_{secrets.token_urlsafe(24)}",
        created=fake.now(),
        customer=customer_id,
        description=params.get("description") or None,
        excluded_payment_method_types=None,
        flow_directions=None,
        last_setup_error=None,
        latest_attempt=None,
        livemode=False,
        mandate=None,
        metadata=merge_metadata({}, params),
        next_action=None,
        on_behalf_of=None,
        payment_method=None,
        payment_method_configuration_details=None,
        payment_method_options={
            "card": {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
        },
        payment_method_types=as_list(params, "payment_method_types") or ["card"],
        single_use_mandate=None,
        status="requires_payment_method",
        usage=one_of(params, "usage", ("off_session", "on_session"), "off_session"),
    )
    fake.store.add(setup_intent)
    if params.get("payment_method"):
        setup_intent["payment_method"] = resolve_payment_method(fake, params["payment_method"])["id"]
        setup_intent["status"] = "requires_confirmation"
    fake.emit("setup_intent.created", setup_intent)
    if as_bool(params, "confirm", False):
        confirm_setup_intent(fake, setup_intent, {})
    return setup_intent


def confirm_setup_intent(fake: Any, setup_intent: StripeObject, params: Params) -> StripeObject:
    if setup_intent["status"] in ("succeeded", "canceled"):
        raise invalid_request(
            f"You cannot confirm this SetupIntent because it has a status of {setup_intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    if params.get("payment_method"):
        setup_intent["payment_method"] = resolve_payment_method(fake, params["payment_method"])["id"]
    if not setup_intent["payment_method"]:
        raise invalid_request(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            "payment_method",
            "setup_intent_unexpected_state",
        )
    behaviour, decline_code = card_behaviour(fake, setup_intent["payment_method"])
    if behaviour == "decline":
        error = card_declined(decline_code)
        setup_intent["last_setup_error"] = {
            "code": "card_declined",
            "decline_code": decline_code,
            "message": error.message,
            "payment_method": fake.store.get(setup_intent["payment_method"]),
            "type": "card_error",
        }
        setup_intent["payment_method"] = None
        setup_intent["status"] = "requires_payment_method"
        fake.emit("setup_intent.setup_failed", setup_intent)
        error.extra["setup_intent"] = copy.deepcopy(setup_intent)
        raise error
    if setup_intent["customer"]:
        attach_payment_method(fake, setup_intent["payment_method"], setup_intent["customer"])
    setup_intent["status"] = "succeeded"
    setup_intent["last_setup_error"] = None
    fake.emit("setup_intent.succeeded", setup_intent)
    return setup_intent


@routes.post("/v1/setup_intents")
def post_setup_intents(request: Request) -> StripeObject:
    return create_setup_intent(request.fake, request.params)


@routes.get("/v1/setup_intents/{id}")
def get_setup_intent(request: Request) -> StripeObject:
    return request.fake.store.require(request.args["id"], "setup_intent", name="SetupIntent")


@routes.post("/v1/setup_intents/{id}")
def update_setup_intent(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    setup_intent = fake.store.require(request.args["id"], "setup_intent", name="SetupIntent")
    before = snapshot(setup_intent)
    setup_intent["metadata"] = merge_metadata(setup_intent["metadata"], params)
    set_fields(setup_intent, params, ("description",))
    if params.get("customer"):
        setup_intent["customer"] = fake.store.require(params["customer"], "customer", "customer")["id"]
    if params.get("payment_method"):
        setup_intent["payment_method"] = resolve_payment_method(fake, params["payment_method"])["id"]
        setup_intent["status"] = "requires_confirmation"
    emit_update(fake, "setup_intent.updated", setup_intent, before)
    return setup_intent


@routes.post("/v1/setup_intents/{id}/confirm")
def post_confirm(request: Request) -> StripeObject:
    setup_intent = request.fake.store.require(request.args["id"], "setup_intent", name="SetupIntent")
    return confirm_setup_intent(request.fake, setup_intent, request.params)


@routes.post("/v1/setup_intents/{id}/cancel")
def post_cancel_setup_intent(request: Request) -> StripeObject:
    setup_intent = request.fake.store.require(request.args["id"], "setup_intent", name="SetupIntent")
    if setup_intent["status"] in ("succeeded", "canceled"):
        raise invalid_request(
            f"You cannot cancel this SetupIntent because it has a status of {setup_intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    setup_intent["status"] = "canceled"
    setup_intent["cancellation_reason"] = request.params.get("cancellation_reason") or None
    request.fake.emit("setup_intent.canceled", setup_intent)
    return setup_intent


@routes.get("/v1/setup_intents")
def list_setup_intents(request: Request) -> dict[str, Any]:
    params = request.params
    return list_page(
        request,
        "setup_intent",
        all_of(field_is("customer", params.get("customer")), field_is("payment_method", params.get("payment_method"))),
    )
