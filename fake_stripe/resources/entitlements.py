"""Entitlement features, product features, and each customer's active entitlements: recomputed whenever the
customer's subscriptions change, with `entitlements.active_entitlement_summary.updated` when they do."""

from __future__ import annotations

from typing import Any

from ..errors import invalid_request, resource_missing
from ..lists import list_of
from ..params import Params, as_bool, as_str, merge_metadata, require
from ..protocol import Fake
from ..resource import Resource, equal
from ..routing import Request
from ..shapes import build, deleted
from ..store import StripeObject
from .common import set_fields

ENTITLED_STATUSES = ("active", "trialing", "past_due")


features = Resource(
    "entitlements.feature", "/v1/entitlements/features", noun="feature", filters=(equal("lookup_key", as_str),)
)
# A product's features are the product's: retrieved and listed through it.
product_features = Resource(
    "product_feature", "/v1/products/{product}/features", retrieve_route=False, list_route=False
)
# Listed for one customer (`customer` is required), from the customer's entitlement summary.
active_entitlements = Resource(
    "entitlements.active_entitlement",
    "/v1/entitlements/active_entitlements",
    noun="active entitlement",
    list_route=False,
)


def create_feature(fake: Fake, params: Params) -> StripeObject:
    lookup_key = as_str(params, "lookup_key") or require(params, "lookup_key")
    if _feature_by_lookup_key(fake, lookup_key) is not None:
        raise invalid_request(f"A feature with lookup_key `{lookup_key}` already exists.", "lookup_key")
    feature = build(
        "entitlements.feature",
        active=True,
        id=fake.store.new_id("feat_test_", 28),
        livemode=False,
        lookup_key=lookup_key,
        metadata=merge_metadata({}, params),
        name=require(params, "name"),
    )
    fake.store.add(feature)
    fake.store.private.setdefault("features_by_lookup_key", {})[lookup_key] = feature["id"]
    return feature


def _feature_by_lookup_key(fake: Fake, lookup_key: str) -> StripeObject | None:
    feature_id = fake.store.private.get("features_by_lookup_key", {}).get(lookup_key)
    return fake.store.get(feature_id) if feature_id else None


def add_product_feature(fake: Fake, product_id: str, feature_id: str) -> StripeObject:
    product = fake.store.require(product_id, "product", "product")
    feature = fake.store.require(feature_id, "entitlements.feature", "entitlement_feature", "feature")
    attached = fake.features.setdefault(product["id"], [])
    for product_feature_id in attached:
        existing = fake.store.get(product_feature_id)
        if existing["entitlement_feature"]["id"] == feature["id"]:
            return existing
    product_feature = build(
        "product_feature", entitlement_feature=feature, id=fake.store.new_id("prodft_", 24), livemode=False
    )
    fake.store.add(product_feature)
    fake.store.private[product_feature["id"]] = {"product": product["id"]}
    attached.append(product_feature["id"])
    _refresh_everyone(fake)
    return product_feature


def attach_feature(fake: Fake, product_id: str, lookup_key: str, name: str | None = None) -> StripeObject:
    """`FakeStripe.add_product_feature`: the feature `lookup_key` (created if new) on the product."""
    feature = _feature_by_lookup_key(fake, lookup_key) or create_feature(
        fake, {"lookup_key": lookup_key, "name": name or lookup_key}
    )
    return add_product_feature(fake, product_id, feature["id"])


def _refresh_everyone(fake: Fake) -> None:
    customers = {s["customer"] for s in fake.store.newest_first("subscription") if s["status"] in ENTITLED_STATUSES}
    customers.update(fake.entitlement_summaries)
    for customer_id in sorted(customers):
        refresh(fake, customer_id)


def refresh(fake: Fake, customer_id: str) -> None:
    """Recompute a customer's active entitlements; announce the summary when it changed."""
    store = fake.store
    features: list[str] = []
    for subscription in store.owned_by(customer_id, "subscription"):  # an index: writes stay O(own subscriptions)
        if subscription["status"] not in ENTITLED_STATUSES:
            continue
        for item in subscription["items"]["data"]:
            for product_feature_id in fake.features.get(item["price"]["product"], []):
                feature_id = store.get(product_feature_id)["entitlement_feature"]["id"]
                if feature_id not in features:
                    features.append(feature_id)
    current = fake.entitlement_summaries.get(customer_id, [])
    current_features = [store.get(e)["feature"] for e in current]
    if sorted(current_features) == sorted(features):
        return
    previous = summary(fake, customer_id)
    kept = [e for e in current if store.get(e)["feature"] in features]
    for entitlement_id in current:
        if entitlement_id not in kept:
            store.remove(entitlement_id)
    for feature_id in features:
        if feature_id not in current_features:
            feature = store.get(feature_id)
            entitlement = build(
                "entitlements.active_entitlement",
                feature=feature_id,
                id=store.new_id("ent_test_", 28),
                livemode=False,
                lookup_key=feature["lookup_key"],
            )
            store.add(entitlement)
            kept.append(entitlement["id"])
    fake.entitlement_summaries[customer_id] = kept
    fake.emit(
        "entitlements.active_entitlement_summary.updated",
        summary(fake, customer_id),
        {"entitlements": previous["entitlements"]},
    )


def summary(fake: Fake, customer_id: str) -> StripeObject:
    data = []
    for entitlement_id in reversed(fake.entitlement_summaries.get(customer_id, [])):
        entitlement = dict(fake.store.get(entitlement_id))
        entitlement["feature"] = fake.store.get(entitlement["feature"])
        data.append(entitlement)
    return build(
        "entitlements.active_entitlement_summary",
        customer=customer_id,
        entitlements={
            "data": data,
            "has_more": False,
            "object": "list",
            "url": f"/v1/customer/{customer_id}/entitlements",
        },
        livemode=False,
    )


# -- routes --------------------------------------------------------------------------------------------------


@features.post()
def post_features(request: Request) -> StripeObject:
    return create_feature(request.fake, request.params)


@features.post("/{id}")
def update_feature(request: Request) -> StripeObject:
    feature = features.retrieve(request)
    with features.changing(request.fake, feature):
        set_fields(feature, request.params, ("name",))
        feature["active"] = as_bool(request.params, "active", feature["active"])
        feature["metadata"] = merge_metadata(feature["metadata"], request.params)
    return feature


@product_features.post()
def post_product_features(request: Request) -> StripeObject:
    feature_id = require(request.params, "entitlement_feature")
    return add_product_feature(request.fake, request.args["product"], feature_id)


@product_features.get()
def list_product_features(request: Request) -> dict[str, Any]:
    fake = request.fake
    product = fake.store.require(request.args["product"], "product", "product")
    items = [fake.store.get(i) for i in reversed(fake.features.get(product["id"], []))]
    return list_of(request, items, f"/v1/products/{product['id']}/features", "product feature")


@product_features.get("/{id}")
def get_product_feature(request: Request) -> StripeObject:
    fake = request.fake
    product = fake.store.require(request.args["product"], "product", "product")
    if request.args["id"] not in fake.features.get(product["id"], []):
        raise resource_missing("product feature", request.args["id"])
    return fake.store.get(request.args["id"])


@product_features.delete("/{id}")
def delete_product_feature(request: Request) -> StripeObject:
    fake = request.fake
    product_feature = get_product_feature(request)
    fake.features[request.args["product"]].remove(product_feature["id"])
    fake.store.remove(product_feature["id"])
    _refresh_everyone(fake)
    return deleted(product_feature)


@active_entitlements.get()
def list_active_entitlements(request: Request) -> dict[str, Any]:
    fake = request.fake
    customer = fake.store.require(require(request.params, "customer"), "customer", "customer")
    items = [fake.store.get(e) for e in reversed(fake.entitlement_summaries.get(customer["id"], []))]
    return list_of(request, items, "/v1/entitlements/active_entitlements", "active entitlement")
