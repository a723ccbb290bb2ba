"""Products and prices."""

from __future__ import annotations

from typing import Any

from ..errors import StripeError, invalid_request, parameter_invalid
from ..lists import Check
from ..params import (
    Params,
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_objects,
    as_str,
    merge_metadata,
    one_of,
    require,
)
from ..protocol import Fake
from ..resource import Resource, among, created_between, equal
from ..routing import Request
from ..shapes import build, deleted
from ..store import StripeObject
from .common import set_fields

INVALID_INTEGER = "parameter_invalid_integer"
PRODUCT_FIELDS = ("name", "description", "statement_descriptor", "tax_code", "unit_label", "url")
INTERVALS = ("day", "week", "month", "year")
# Stripe bills at most every three years (and at most every 365 days when counting in days).
MAX_INTERVAL_COUNT = {"day": 365, "week": 156, "month": 36, "year": 3}

products = Resource(
    "product", "/v1/products", filters=(equal("active", as_bool), among("ids", "id"), created_between())
)
prices = Resource(
    "price",
    "/v1/prices",
    filters=(
        among("lookup_keys", "lookup_key"),
        lambda params: _interval_is(as_dict(params, "recurring").get("interval")),
        created_between(),
        equal("active", as_bool),
        equal("product"),
        equal("currency", lambda params, name: (as_str(params, name) or "").lower()),
        equal("type", lambda params, name: one_of(params, name, ("one_time", "recurring"))),
    ),
)


# -- products ------------------------------------------------------------------------------------------------


def create_product(fake: Fake, params: Params) -> StripeObject:
    now = fake.now()
    product_id = as_str(params, "id") or fake.store.new_id("prod_")
    if fake.store.get(product_id) is not None:
        raise invalid_request(f"Product already exists: {product_id}", "id", "resource_already_exists")
    product = build(
        "product",
        id=product_id,
        active=as_bool(params, "active", True),
        created=now,
        updated=now,
        default_price=None,
        description=None,
        images=as_list(params, "images"),
        livemode=False,
        marketing_features=[{"name": f.get("name")} for f in as_objects(params, "marketing_features")],
        metadata=merge_metadata({}, params),
        name=require(params, "name"),
        package_dimensions=None,
        shippable=as_bool(params, "shippable"),
        statement_descriptor=None,
        tax_code=None,
        type="service",
        unit_label=None,
        url=None,
    )
    set_fields(product, params, PRODUCT_FIELDS)
    fake.store.add(product)
    products.emit(fake, "created", product)
    if "default_price_data" in params:
        price = create_price(fake, {**as_dict(params, "default_price_data"), "product": product_id})
        with products.changing(fake, product):
            product["default_price"] = price["id"]
    return product


@products.post()
def post_products(request: Request) -> StripeObject:
    return create_product(request.fake, request.params)


@products.post("/{id}")
def update_product(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    product = products.require(fake, request.args["id"])
    with products.changing(fake, product) as before:
        set_fields(product, params, PRODUCT_FIELDS)
        product["active"] = as_bool(params, "active", product["active"])
        product["shippable"] = as_bool(params, "shippable", product["shippable"])
        product["metadata"] = merge_metadata(product["metadata"], params)
        if "images" in params:
            product["images"] = as_list(params, "images")
        if "marketing_features" in params:
            product["marketing_features"] = [{"name": f.get("name")} for f in as_objects(params, "marketing_features")]
        if params.get("default_price"):
            price = prices.require(fake, params["default_price"], "default_price")
            if price["product"] != product["id"]:
                raise parameter_invalid("default_price", "The price must belong to this product.")
            product["default_price"] = price["id"]
        if product != before:
            product["updated"] = fake.now()
    return product


@products.delete("/{id}")
def delete_product(request: Request) -> StripeObject:
    fake = request.fake
    product = products.require(fake, request.args["id"])
    if any(price["product"] == product["id"] for price in fake.store.newest_first("price")):
        raise invalid_request("This product cannot be deleted because it has one or more user-created prices.")
    fake.store.remove(product["id"])
    products.emit(fake, "deleted", product)
    return deleted(product)


# -- prices --------------------------------------------------------------------------------------------------


def create_price(fake: Fake, params: Params) -> StripeObject:
    store = fake.store
    if params.get("product"):
        product_id = products.require(fake, params["product"], "product")["id"]
    elif "product_data" in params:
        product_data = as_dict(params, "product_data")
        product_id = create_product(fake, {**product_data, "name": require(product_data, "name")})["id"]
    else:
        raise invalid_request("You must specify either `product` or `product_data`.", "product", "parameter_missing")
    currency = (as_str(params, "currency") or require(params, "currency")).lower()
    unit_amount = as_int(params, "unit_amount")
    if unit_amount is None and params.get("unit_amount_decimal"):
        unit_amount = int(float(params["unit_amount_decimal"]))
    if unit_amount is None:
        raise invalid_request("Missing required param: unit_amount.", "unit_amount", "parameter_missing")
    if unit_amount < 0:
        raise parameter_invalid("unit_amount", "Invalid non-negative integer", "parameter_invalid_integer")
    recurring = None
    if "recurring" in params:
        given = as_dict(params, "recurring")
        interval = one_of(given, "interval", INTERVALS) or require(given, "interval")
        usage_type = one_of(given, "usage_type", ("licensed", "metered"), "licensed")
        recurring = {
            "interval": interval,
            "interval_count": _interval_count(given, interval),
            "meter": _meter_of(fake, given, usage_type),
            "trial_period_days": as_int(given, "trial_period_days"),
            "usage_type": usage_type,
        }
    lookup_key = as_str(params, "lookup_key") or None
    if lookup_key:
        _claim_lookup_key(fake, lookup_key, as_bool(params, "transfer_lookup_key", False))
    price = build(
        "price",
        id=store.new_id("price_", 24),
        active=as_bool(params, "active", True),
        billing_scheme=one_of(params, "billing_scheme", ("per_unit", "tiered"), "per_unit"),
        created=fake.now(),
        currency=currency,
        custom_unit_amount=None,
        livemode=False,
        lookup_key=lookup_key,
        metadata=merge_metadata({}, params),
        nickname=params.get("nickname") or None,
        product=product_id,
        recurring=recurring,
        tax_behavior=one_of(params, "tax_behavior", ("exclusive", "inclusive", "unspecified"), "unspecified"),
        tiers_mode=None,
        transform_quantity=None,
        type="recurring" if recurring else "one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    store.add(price)
    prices.emit(fake, "created", price)
    return price


def _meter_of(fake: Fake, recurring: Params, usage_type: str | None) -> str | None:
    """`recurring[meter]`: the meter whose usage a metered price bills (Stripe requires one; a licensed price
    takes none)."""
    meter = recurring.get("meter")
    if usage_type != "metered":
        if meter:
            raise invalid_request("A meter can only be set on a price with usage_type=metered.", "recurring[meter]")
        return None
    if not meter:
        raise invalid_request("A metered price needs a meter.", "recurring[meter]", "parameter_missing")
    return fake.store.require(meter, "billing.meter", "recurring[meter]", "billing meter")["id"]


def _interval_count(recurring: Params, interval: str) -> int:
    """`recurring[interval_count]`: an integer from 1 up to three years' worth of `interval`s."""
    param = "recurring[interval_count]"
    try:
        count = as_int(recurring, "interval_count", 1)
    except StripeError as error:
        error.param = param
        raise
    if count < 1:
        raise parameter_invalid(
            param, f"This value must be greater than or equal to 1 (it currently is '{count}').", INVALID_INTEGER
        )
    if count > MAX_INTERVAL_COUNT[interval]:
        raise parameter_invalid(
            param,
            "The maximum billing interval is 3 years (3 years, 36 months, 156 weeks or 365 days); "
            f"{count} {interval}s is longer.",
            INVALID_INTEGER,
        )
    return count


def _claim_lookup_key(fake: Fake, lookup_key: str, transfer: bool) -> None:
    for other in fake.store.newest_first("price"):
        if other["lookup_key"] == lookup_key:
            if not transfer:
                raise invalid_request(
                    f"A price (`{other['id']}`) already uses that lookup key.", "lookup_key", "lookup_key_exists"
                )
            with prices.changing(fake, other):
                other["lookup_key"] = None


@prices.post()
def post_prices(request: Request) -> StripeObject:
    return create_price(request.fake, request.params)


@prices.post("/{id}")
def update_price(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    price = prices.require(fake, request.args["id"])
    with prices.changing(fake, price):
        price["active"] = as_bool(params, "active", price["active"])
        set_fields(price, params, ("nickname",))
        price["metadata"] = merge_metadata(price["metadata"], params)
        price["tax_behavior"] = one_of(
            params, "tax_behavior", ("exclusive", "inclusive", "unspecified"), price["tax_behavior"]
        )
        lookup_key = as_str(params, "lookup_key")
        if lookup_key is not None and lookup_key != price["lookup_key"]:
            if lookup_key:
                _claim_lookup_key(fake, lookup_key, as_bool(params, "transfer_lookup_key", False))
            price["lookup_key"] = lookup_key or None
    return price


def is_metered(price: StripeObject) -> bool:
    """Whether the price bills usage in arrears (its meter's, at each renewal) instead of a quantity ahead."""
    return (price["recurring"] or {}).get("usage_type") == "metered"


def _interval_is(interval: Any) -> Check | None:
    """`recurring[interval]=month` keeps the recurring prices billed by that interval."""
    return (lambda price: (price["recurring"] or {}).get("interval") == interval) if interval else None
