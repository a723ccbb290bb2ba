"""Customers: create, retrieve (deleted ones answer their stub), update, delete, list."""

from __future__ import annotations

import secrets
from typing import Any

from ..lists import all_of, field_is, list_page
from ..params import Params, as_dict, as_int, as_list, as_str, created_filter, merge_metadata, one_of
from ..protocol import Fake
from ..routing import Request, routes
from ..shapes import build, deleted
from ..store import StripeObject
from .common import emit_update, set_fields, snapshot
from .payment_methods import attach_payment_method, owned_payment_method
from .subscription_status import ENDED, cancel_subscription

CUSTOMER_FIELDS = ("email", "name", "description", "phone")


def create_customer(fake: Fake, params: Params) -> StripeObject:
    store = fake.store
    customer_id = as_str(params, "id") or store.new_id("cus_")
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
        customer["invoice_settings"]["default_payment_method"] = owned_payment_method(
            fake, default, customer_id, "invoice_settings[default_payment_method]"
        )
        emit_update(fake, "customer.updated", customer, before)
    return customer


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
            owned_payment_method(fake, reference, customer["id"], "invoice_settings[default_payment_method]")
            if reference
            else None
        )
    emit_update(fake, "customer.updated", customer, before)
    return customer


@routes.delete("/v1/customers/{id}")
def delete_customer(request: Request) -> StripeObject:
    fake = request.fake
    customer = fake.store.require(request.args["id"], "customer")
    for subscription in fake.store.owned_by(customer["id"], "subscription"):
        if subscription["status"] not in ENDED:
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
