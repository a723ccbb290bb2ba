"""Setup intents: create (optionally confirming), confirm (with `payment_method` or a card in
`payment_method_data`; a decline is a 402; success attaches the payment method to the customer), update,
cancel, list."""

from __future__ import annotations

import copy
import secrets

from ..errors import card_declined, invalid_request
from ..params import Params, as_bool, as_dict, as_list, merge_metadata, one_of, require
from ..protocol import Fake
from ..resource import Resource, equal
from ..routing import Request
from ..shapes import build
from ..store import StripeObject
from .common import set_fields
from .payment_methods import attach_payment_method, card_behaviour, create_card, resolve_payment_method

setup_intents = Resource(
    "setup_intent", "/v1/setup_intents", noun="SetupIntent", filters=(equal("customer"), equal("payment_method"))
)


def create_setup_intent(fake: Fake, params: Params) -> StripeObject:
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
    setup_intents.emit(fake, "created", setup_intent)
    if as_bool(params, "confirm", False):
        confirm_setup_intent(fake, setup_intent, {})
    return setup_intent


def confirm_setup_intent(fake: Fake, setup_intent: StripeObject, params: Params) -> StripeObject:
    if setup_intent["status"] in ("succeeded", "canceled"):
        raise invalid_request(
            f"You cannot confirm this SetupIntent because it has a status of {setup_intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    if params.get("payment_method"):
        setup_intent["payment_method"] = resolve_payment_method(fake, params["payment_method"])["id"]
    elif data := as_dict(params, "payment_method_data"):
        # What Stripe.js sends for a card typed into Elements (the stand-in sends the number itself).
        number = require(as_dict(data, "card"), "number") if data.get("card") else require(data, "card")
        setup_intent["payment_method"] = create_card(fake, str(number), data)["id"]
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
            "code": error.code,
            "decline_code": decline_code,
            "message": error.message,
            "payment_method": fake.store.get(setup_intent["payment_method"]),
            "type": "card_error",
        }
        setup_intent["payment_method"] = None
        setup_intent["status"] = "requires_payment_method"
        setup_intents.emit(fake, "setup_failed", setup_intent)
        error.extra["setup_intent"] = copy.deepcopy(setup_intent)
        raise error
    if setup_intent["customer"]:
        attach_payment_method(fake, setup_intent["payment_method"], setup_intent["customer"])
    setup_intent["status"] = "succeeded"
    setup_intent["last_setup_error"] = None
    setup_intents.emit(fake, "succeeded", setup_intent)
    return setup_intent


@setup_intents.post()
def post_setup_intents(request: Request) -> StripeObject:
    return create_setup_intent(request.fake, request.params)


@setup_intents.post("/{id}")
def update_setup_intent(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    setup_intent = setup_intents.retrieve(request)
    with setup_intents.changing(fake, setup_intent):
        setup_intent["metadata"] = merge_metadata(setup_intent["metadata"], params)
        set_fields(setup_intent, params, ("description",))
        if params.get("customer"):
            setup_intent["customer"] = fake.store.require(params["customer"], "customer", "customer")["id"]
        if params.get("payment_method"):
            setup_intent["payment_method"] = resolve_payment_method(fake, params["payment_method"])["id"]
            setup_intent["status"] = "requires_confirmation"
    return setup_intent


@setup_intents.post("/{id}/confirm")
def post_confirm(request: Request) -> StripeObject:
    setup_intent = setup_intents.retrieve(request)
    return confirm_setup_intent(request.fake, setup_intent, request.params)


@setup_intents.post("/{id}/cancel")
def post_cancel_setup_intent(request: Request) -> StripeObject:
    setup_intent = setup_intents.retrieve(request)
    if setup_intent["status"] in ("succeeded", "canceled"):
        raise invalid_request(
            f"You cannot cancel this SetupIntent because it has a status of {setup_intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    setup_intent["status"] = "canceled"
    setup_intent["cancellation_reason"] = request.params.get("cancellation_reason") or None
    setup_intents.emit(request.fake, "canceled", setup_intent)
    return setup_intent
