"""The routes of subscriptions and their items: create, retrieve, update, cancel, list. What they do lives in
`subscription_creation`, `subscription_updates`, `subscription_status` and `subscription_items`."""

from __future__ import annotations

from typing import Any

from ..lists import Check, field_is, list_of
from ..params import Params, one_of, require
from ..resource import Resource, created_between, equal
from ..routing import Request
from ..shapes import deleted
from ..store import StripeObject
from .pending_updates import SUPPORTED_FOR_ITEMS, check_supported
from .subscription_creation import create_subscription
from .subscription_items import items_of
from .subscription_schedules import end_with_subscription
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


def _status_is(params: Params) -> Check | None:
    """`status`: one status, `ended` (canceled or expired), `all`; by default the subscriptions not ended, as at
    Stripe."""
    status = one_of(params, "status", STATUS_FILTERS)
    if status is None:
        return lambda subscription: subscription["status"] not in ENDED
    if status == "all":
        return None
    if status == "ended":
        return lambda subscription: subscription["status"] in ENDED
    return field_is("status", status)


def _with_price(params: Params) -> Check | None:
    """`price=price_...`: the subscriptions with an item of that price."""
    price_id = params.get("price")
    return (lambda s: any(item["price"]["id"] == price_id for item in items_of(s))) if price_id else None


subscriptions = Resource(
    "subscription",
    "/v1/subscriptions",
    events="customer.subscription",
    filters=(_status_is, equal("customer"), _with_price, created_between()),
)
# Each write of an item is an update of its subscription; an item is retrieved with its subscription and listed
# from it (`subscription` is required).
subscription_items = Resource(
    "subscription_item", "/v1/subscription_items", noun="subscription item", retrieve_route=False, list_route=False
)


@subscriptions.post()
def post_subscriptions(request: Request) -> StripeObject:
    return create_subscription(request.fake, request.params)


@subscriptions.post("/{id}")
def post_update_subscription(request: Request) -> StripeObject:
    subscription = subscriptions.retrieve(request)
    if request.params.get("payment_behavior") == "pending_if_incomplete":
        check_supported(request.params)
    return update_subscription(request.fake, subscription, request.params)


@subscriptions.delete("/{id}")
def delete_subscription(request: Request) -> StripeObject:
    subscription = subscriptions.retrieve(request)
    cancel_subscription(request.fake, subscription, request.params)
    end_with_subscription(request.fake, subscription)
    return subscription


# -- subscription items: each write is an update of its subscription -----------------------------------------


def _item_and_subscription(request: Request) -> tuple[StripeObject, StripeObject]:
    item = subscription_items.require(request.fake, request.args["id"])
    return item, subscriptions.require(request.fake, item["subscription"])


def _item_update(params: dict[str, Any], item: dict[str, Any], supported: frozenset[str]) -> dict[str, Any]:
    """The subscription update an item route makes: the item's change, and how it is prorated and paid."""
    if params.get("payment_behavior") == "pending_if_incomplete":
        check_supported(params, supported)
    update = {key: value for key, value in params.items() if key in UPDATE_FIELDS}
    return {**update, "items": [item]}


@subscription_items.get()
def list_subscription_items(request: Request) -> dict[str, Any]:
    subscription = request.fake.store.require(require(request.params, "subscription"), "subscription", "subscription")
    items = sorted(items_of(subscription), key=lambda i: i["created"], reverse=True)
    return list_of(request, items, subscription["items"]["url"], "subscription item")


@subscription_items.get("/{id}")
def get_subscription_item(request: Request) -> StripeObject:
    return _item_and_subscription(request)[0]


@subscription_items.post("/{id}")
def post_update_subscription_item(request: Request) -> StripeObject:
    item, subscription = _item_and_subscription(request)
    spec = {key: value for key, value in request.params.items() if key in ITEM_FIELDS}
    update = _item_update(request.params, {**spec, "id": item["id"]}, SUPPORTED_FOR_ITEMS)
    update_subscription(request.fake, subscription, update)
    return request.fake.store.get(item["id"])  # the item as it is now (unchanged while the update is pending)


@subscription_items.post()
def post_subscription_items(request: Request) -> StripeObject:
    params = request.params
    subscription = request.fake.store.require(require(params, "subscription"), "subscription", "subscription")
    spec = {key: value for key, value in params.items() if key in ITEM_FIELDS}
    update_subscription(request.fake, subscription, _item_update(params, spec, SUPPORTED_FOR_ITEMS | {"subscription"}))
    pending = subscription["pending_update"]
    return (pending["subscription_items"] if pending else items_of(subscription))[-1]


@subscription_items.delete("/{id}")
def delete_subscription_item(request: Request) -> StripeObject:
    item, subscription = _item_and_subscription(request)
    update = {key: value for key, value in request.params.items() if key in ("proration_behavior", "proration_date")}
    update_subscription(request.fake, subscription, {**update, "items": [{"id": item["id"], "deleted": "true"}]})
    return deleted(item)
