"""Payment methods: test card numbers and test tokens (`pm_card_visa`, ...), attach, detach, update, list."""

from __future__ import annotations

import hashlib
from typing import Any

from ..errors import StripeError, invalid_request, parameter_invalid, resource_missing
from ..lists import all_of, field_is, list_page
from ..params import Params, as_dict, as_int, merge_metadata, one_of, require
from ..protocol import Fake
from ..resource import Resource, changing
from ..routing import Request, routes
from ..shapes import build
from ..store import StripeObject

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
    "4000000000009987": ("visa", "decline"),
    "4000000000009979": ("visa", "decline"),
    "4000000000000069": ("visa", "decline"),
    "4000000000000127": ("visa", "decline"),
    "4000000000000119": ("visa", "decline"),
}
DECLINE_CODES = {
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}
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
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
}


# Retrieved through the test tokens too (`pm_card_visa` answers a card of its own), and listed for a customer.
payment_methods = Resource(
    "payment_method", "/v1/payment_methods", noun="PaymentMethod", retrieve_route=False, list_route=False
)


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


def card_behaviour(fake: Fake, payment_method_id: str) -> tuple[str, str]:
    """How charges to this payment method go: ("ok" | "decline" | "charge_fail", decline code)."""
    number = fake.store.private.get(payment_method_id, {}).get("number", "")
    return TEST_CARDS.get(number, ("", "ok"))[1], DECLINE_CODES.get(number, "generic_decline")


def create_card(fake: Fake, number: str, params: Params | None = None) -> StripeObject:
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


def resolve_payment_method(fake: Fake, reference: Any, param: str = "payment_method") -> StripeObject:
    """An existing payment method, or a new one made from a test token such as `pm_card_visa`."""
    if isinstance(reference, str) and (number := token_card_number(reference)):
        return create_card(fake, number)
    return payment_methods.require(fake, reference, param)


def attach_payment_method(fake: Fake, reference: str, customer_id: str, param: str = "payment_method") -> StripeObject:
    payment_method = resolve_payment_method(fake, reference, param)
    fake.store.require(customer_id, "customer", "customer")
    if payment_method["customer"] == customer_id:
        return payment_method
    if payment_method["customer"] is not None:
        raise invalid_request(
            "The payment method you provided has already been attached to a customer.", param, "resource_missing"
        )
    payment_method["customer"] = customer_id
    payment_methods.emit(fake, "attached", payment_method)  # Stripe sends previous_attributes on *.updated only
    return payment_method


@payment_methods.post()
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


@payment_methods.get("/{id}")
def get_payment_method(request: Request) -> StripeObject:
    return resolve_payment_method(request.fake, request.args["id"], "payment_method")


@payment_methods.post("/{id}")
def update_payment_method(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    payment_method = payment_methods.require(fake, request.args["id"])
    with payment_methods.changing(fake, payment_method):
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
    return payment_method


@payment_methods.post("/{id}/attach")
def post_attach(request: Request) -> StripeObject:
    customer_id = require(request.params, "customer")
    return attach_payment_method(request.fake, request.args["id"], customer_id)


def detach_payment_method(fake: Fake, payment_method: StripeObject) -> StripeObject:
    customer_id = payment_method["customer"]
    if customer_id is None:
        raise invalid_request(
            f"The payment method `{payment_method['id']}` is not attached to a customer so detachment is impossible."
        )
    payment_method["customer"] = None
    customer = fake.store.get(customer_id)
    is_default = customer and customer.get("invoice_settings", {}).get("default_payment_method") == payment_method["id"]
    if is_default:
        with changing(fake, customer):
            customer["invoice_settings"]["default_payment_method"] = None
    payment_methods.emit(fake, "detached", payment_method)
    return payment_method


@payment_methods.post("/{id}/detach")
def post_detach(request: Request) -> StripeObject:
    payment_method = payment_methods.require(request.fake, request.args["id"])
    return detach_payment_method(request.fake, payment_method)


def _payment_method_filter(params: Params, customer_id: str | None) -> Any:
    kind = params.get("type")
    return all_of(field_is("customer", customer_id), field_is("type", kind if kind not in (None, "all") else None))


@payment_methods.get()
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
    payment_method = payment_methods.require(request.fake, request.args["id"])
    if payment_method["customer"] != customer["id"]:
        raise resource_missing("PaymentMethod", request.args["id"])
    return payment_method


def owned_payment_method(fake: Fake, reference: str, customer_id: str, param: str) -> str:
    """The id of a payment method of this customer: a test token or a loose one is attached first."""
    payment_method = resolve_payment_method(fake, reference, param)
    if payment_method["customer"] is None:
        attach_payment_method(fake, payment_method["id"], customer_id, param)
    elif payment_method["customer"] != customer_id:
        raise invalid_request(
            f"The payment method `{payment_method['id']}` belongs to another customer.", param, "resource_missing"
        )
    return payment_method["id"]
