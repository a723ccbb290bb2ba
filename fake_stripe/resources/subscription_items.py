"""A subscription's prices and items: which prices an item may have, the item (with its legacy `plan`), the
period and interval its items bill, and the `items` of an update."""

from __future__ import annotations

from typing import Any

from ..errors import invalid_request, parameter_invalid, resource_missing
from ..params import Params, as_bool, as_int, merge_metadata, require
from ..protocol import Fake
from ..shapes import build
from ..store import StripeObject
from .catalog import is_metered


def recurring_price(fake: Fake, price_id: Any, param: str) -> StripeObject:
    """The active recurring price `price_id`, or Stripe's error on `param`."""
    price = fake.store.require(price_id, "price", param)
    if price["type"] != "recurring":
        raise parameter_invalid(
            param,
            "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.",
        )
    if not price["active"]:
        raise parameter_invalid(param, "The price specified is inactive. This field only accepts active prices.")
    return price


def billing_cycle(price: StripeObject) -> tuple[str, str, int]:
    """What every price on one subscription shares: currency, interval and interval count."""
    recurring = price["recurring"]
    return price["currency"], recurring["interval"], recurring["interval_count"]


def plan_of(price: StripeObject) -> StripeObject:
    recurring = price["recurring"] or {}
    return build(
        "plan",
        active=price["active"],
        amount=price["unit_amount"],
        amount_decimal=price["unit_amount_decimal"],
        billing_scheme=price["billing_scheme"],
        created=price["created"],
        currency=price["currency"],
        id=price["id"],
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        livemode=False,
        metadata=price["metadata"],
        meter=recurring.get("meter"),
        nickname=price["nickname"],
        product=price["product"],
        tiers_mode=None,
        transform_usage=None,
        trial_period_days=recurring.get("trial_period_days"),
        usage_type=recurring.get("usage_type", "licensed"),
    )


def new_item(
    fake: Fake, subscription: StripeObject, price: StripeObject, spec: Params, start: int, end: int
) -> StripeObject:
    """A stored item of `price` for the period `start`-`end`; the caller adds it to the subscription."""
    item = build_item(fake, subscription, price, spec, start, end)
    fake.store.add(item)
    return item


def build_item(
    fake: Fake, subscription: StripeObject, price: StripeObject, spec: Params, start: int, end: int
) -> StripeObject:
    """An item of `price` for the period `start`-`end`, not stored yet (`store_items` stores it)."""
    return build(
        "subscription_item",
        billing_thresholds=None,
        created=fake.now(),
        current_period_end=end,
        current_period_start=start,
        discounts=[],
        id=fake.store.new_id("si_"),
        metadata=merge_metadata({}, spec),
        plan=plan_of(price),
        price=price,
        # Stripe counts no quantity for a metered price: its usage is billed instead.
        quantity=None if is_metered(price) else as_int(spec, "quantity", 1),
        subscription=subscription["id"],
        tax_rates=[],
    )


def items_of(subscription: StripeObject) -> list[StripeObject]:
    return subscription["items"]["data"]


def period_of(subscription: StripeObject) -> tuple[int, int]:
    """The billing period the items span: `(start, end)`."""
    items = items_of(subscription)
    return min(i["current_period_start"] for i in items), max(i["current_period_end"] for i in items)


def interval_of(subscription: StripeObject) -> tuple[str, int]:
    recurring = items_of(subscription)[0]["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]


def change_items(fake: Fake, subscription: StripeObject, specs: list[Params], start: int, end: int) -> None:
    """Apply the `items` of an update to `subscription` (a copy, the update's candidate: the store is left to
    `store_items`): with an `id`, delete or change that item; without, add a new item for the period
    `start`-`end`. All or nothing, as at Stripe: every item named is found first, the prices are checked
    against the items the update keeps, and the deletions come last, so an error leaves the subscription as it
    was, never without items."""
    deleting = {spec["id"] for spec in specs if spec.get("id") and as_bool(spec, "deleted", False)}
    named = {n: _named_item(subscription, spec, f"items[{n}]") for n, spec in enumerate(specs) if spec.get("id")}
    if not [item for item in items_of(subscription) if item["id"] not in deleting] and len(named) == len(specs):
        raise invalid_request("A subscription must have at least one active plan.", "items")
    for n, spec in enumerate(specs):
        if spec.get("id") not in deleting:
            _change_item(fake, subscription, spec, named.get(n), f"items[{n}]", deleting, start, end)
    for item in [named[n] for n, spec in enumerate(specs) if spec.get("id") in deleting]:
        items_of(subscription).remove(item)


def store_items(fake: Fake, old_items: list[StripeObject], new_items: list[StripeObject]) -> None:
    """What the store holds once a subscription's items go from `old_items` to `new_items`: the new and changed
    items (retrieved by id as the subscription lists them), and no more the removed ones."""
    kept = {item["id"] for item in new_items}
    for item in old_items:
        if item["id"] not in kept:
            fake.store.remove(item["id"])
    for item in new_items:
        if fake.store.get(item["id"]) is None:
            fake.store.add(item)
        else:
            fake.store.replace(item)


def _named_item(subscription: StripeObject, spec: Params, param: str) -> StripeObject:
    item = next((i for i in items_of(subscription) if i["id"] == spec["id"]), None)
    if item is None:
        raise resource_missing("subscription item", spec["id"], f"{param}[id]")
    return item


def _change_item(
    fake: Fake,
    subscription: StripeObject,
    spec: Params,
    item: StripeObject | None,
    param: str,
    deleting: set[str],
    start: int,
    end: int,
) -> None:
    """Add an item (`item` None) or change one; the items being deleted do not count for compatibility."""
    if item is None:
        price = recurring_price(fake, require(spec, "price"), f"{param}[price]")
        _check_compatible(subscription, price, f"{param}[price]", deleting)
        items_of(subscription).append(build_item(fake, subscription, price, spec, start, end))
        return
    if spec.get("price"):
        price = recurring_price(fake, spec["price"], f"{param}[price]")
        _check_compatible(subscription, price, f"{param}[price]", {*deleting, item["id"]})
        item.update(price=price, plan=plan_of(price))
    if "quantity" in spec:
        item["quantity"] = as_int(spec, "quantity")
    item["metadata"] = merge_metadata(item["metadata"], spec)


def _check_compatible(subscription: StripeObject, price: StripeObject, param: str, leaving: set[str]) -> None:
    for item in items_of(subscription):
        if item["id"] not in leaving and billing_cycle(item["price"]) != billing_cycle(price):
            raise parameter_invalid(param, "All prices on a subscription must have the same currency and interval.")
