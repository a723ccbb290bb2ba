"""Customers: create, retrieve (deleted ones answer their stub), update, delete, list."""

from __future__ import annotations

import secrets

from ..params import Params, as_dict, as_int, as_list, as_str, merge_metadata, one_of
from ..protocol import Fake
from ..resource import Resource, created_between, equal
from ..routing import Request
from ..shapes import build, deleted
from ..store import StripeObject
from .common import set_fields
from .payment_methods import attach_payment_method, owned_payment_method
from .subscription_status import ENDED, cancel_subscription

CUSTOMER_FIELDS = ("email", "name", "description", "phone")

# Retrieved by its own route: a deleted customer answers its deletion stub.
customers = Resource("customer", "/v1/customers", filters=(created_between(), equal("email")), retrieve_route=False)


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
    customers.emit(fake, "created", customer)
    if params.get("payment_method"):
        payment_method = attach_payment_method(fake, params["payment_method"], customer_id, "payment_method")
        params = {**params, "invoice_settings": {"default_payment_method": payment_method["id"]}}
    default = as_dict(params, "invoice_settings").get("default_payment_method")
    if default:
        with customers.changing(fake, customer):
            customer["invoice_settings"]["default_payment_method"] = owned_payment_method(
                fake, default, customer_id, "invoice_settings[default_payment_method]"
            )
    return customer


@customers.post()
def post_customers(request: Request) -> StripeObject:
    return create_customer(request.fake, request.params)


@customers.get("/{id}")
def get_customer(request: Request) -> StripeObject:
    obj = request.fake.store.get(request.args["id"])
    if obj is not None and obj["object"] == "customer":
        return obj  # a deleted customer answers its deletion stub, as Stripe does
    return customers.require(request.fake, request.args["id"])


@customers.post("/{id}")
def update_customer(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    customer = customers.require(fake, request.args["id"])
    with customers.changing(fake, customer):
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
    return customer


@customers.delete("/{id}")
def delete_customer(request: Request) -> StripeObject:
    fake = request.fake
    customer = customers.require(fake, request.args["id"])
    for subscription in fake.store.owned_by(customer["id"], "subscription"):
        if subscription["status"] not in ENDED:
            cancel_subscription(fake, subscription)
    stub = deleted(customer)
    fake.store.replace(stub)
    customers.emit(fake, "deleted", customer)
    return stub
