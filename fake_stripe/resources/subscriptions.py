"""The routes of subscriptions and their items: create, retrieve, update, cancel, list. What they do lives in
`subscription_creation`, `subscription_updates`, `subscription_status` and `subscription_items`."""

from __future__ import annotations

from typing import Any

from ..lists import all_of, field_is, list_of, list_page
from ..params import created_filter, one_of, require
from ..routing import Request, routes
from ..shapes import deleted
from ..store import StripeObject
from .pending_updates import SUPPORTED_FOR_ITEMS, check_supported
from .subscription_creation import create_subscription
from .subscription_items import items_of
from .subscription_status import ENDED, cancel_subscription
from .subscription_updates import update_subscription

STATUS_FILTERS = (
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
ITEM_FIELDS = ("price", "quantity", "metadata")
# What an item route passes on to the update of its subscription, besides the item itself.
UPDATE_FIELDS = ("payment_behavior", "proration_behavior", "proration_date")


@routes.post("/v1/subscriptions")
def post_subscriptions(request: Request) -> StripeObject:
    return create_subscription(request.fake, request.params)


@routes.get("/v1/subscriptions/{id}")
def get_subscription(request: Request) -> StripeObject:
    return request.fake.store.require(request.args["id"], "subscription")


@routes.post("/v1/subscriptions/{id}")
def post_update_subscription(request: Request) -> StripeObject:
    subscription = request.fake.store.require(request.args["id"], "subscription")
    if request.params.get("payment_behavior") == "pending_if_incomplete":
        check_supported(request.params)
    return update_subscription(request.fake, subscription, request.params)


@routes.delete("/v1/subscriptions/{id}")
def delete_subscription(request: Request) -> StripeObject:
    subscription = request.fake.store.require(request.args["id"], "subscription")
    return cancel_subscription(request.fake, subscription, request.params)


@routes.get("/v1/subscriptions")
def list_subscriptions(request: Request) -> dict[str, Any]:
    params = request.params
    status = one_of(params, "status", STATUS_FILTERS)
    price_id = params.get("price")
    created = created_filter(params)
    if status is None:  # Stripe's default leaves ended subscriptions out
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


# -- subscription items: each write is an update of its subscription -----------------------------------------


def _item_and_subscription(request: Request) -> tuple[StripeObject, StripeObject]:
    item = request.fake.store.require(request.args["id"], "subscription_item", name="subscription item")
    return item, request.fake.store.require(item["subscription"], "subscription")


def _item_update(params: dict[str, Any], item: dict[str, Any], supported: frozenset[str]) -> dict[str, Any]:
    """The subscription update an item route makes: the item's change, and how it is prorated and paid."""
    if params.get("payment_behavior") == "pending_if_incomplete":
        check_supported(params, supported)
    update = {key: value for key, value in params.items() if key in UPDATE_FIELDS}
    return {**update, "items": [item]}


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
    spec = {key: value for key, value in request.params.items() if key in ITEM_FIELDS}
    update = _item_update(request.params, {**spec, "id": item["id"]}, SUPPORTED_FOR_ITEMS)
    update_subscription(request.fake, subscription, update)
    return request.fake.store.get(item["id"])  # the item as it is now (unchanged while the update is pending)


@routes.post("/v1/subscription_items")
def post_subscription_items(request: Request) -> StripeObject:
    params = request.params
    subscription = request.fake.store.require(require(params, "subscription"), "subscription", "subscription")
    spec = {key: value for key, value in params.items() if key in ITEM_FIELDS}
    update_subscription(request.fake, subscription, _item_update(params, spec, SUPPORTED_FOR_ITEMS | {"subscription"}))
    pending = subscription["pending_update"]
    return (pending["subscription_items"] if pending else items_of(subscription))[-1]


@routes.delete("/v1/subscription_items/{id}")
def delete_subscription_item(request: Request) -> StripeObject:
    item, subscription = _item_and_subscription(request)
    update = {key: value for key, value in request.params.items() if key in ("proration_behavior", "proration_date")}
    update_subscription(request.fake, subscription, {**update, "items": [{"id": item["id"], "deleted": "true"}]})
    return deleted(item)
