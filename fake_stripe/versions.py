"""Events rendered in the shape of an older API version, as Stripe renders them for an endpoint pinned to it.

The fake keeps its objects in the shape of the SDK's pinned version. An endpoint created with an older
`api_version` gets its events in the older shapes the fake knows, from 2020-03-02 onwards: before
2025-03-31 (basil) a subscription's billing period is on the subscription rather than on its items, each
item (and a one-item subscription) carries its `plan` beside its `price`, and an invoice names its
`subscription` at the top rather than under `parent`.
"""

from __future__ import annotations

import copy
from typing import Any

OLDEST = "2020-03-02"
"""The oldest version the fake renders: asking for an older one is refused."""

BASIL = "2025-03-31"
"""The version that moved the billing period to the items and the invoice's subscription under `parent`."""


def known(version: str) -> bool:
    """Whether the fake can render events at `version` (a date, with or without its release name)."""
    return len(version) >= 10 and version[:10] >= OLDEST


def render(event: dict[str, Any], version: str | None) -> dict[str, Any]:
    """`event` as an endpoint pinned to `version` receives it (None: unchanged; a version since basil: only
    labelled with it, the shapes the fake knows being the same)."""
    if version is None or version == event["api_version"]:
        return event
    if version[:10] >= BASIL:
        return {**event, "api_version": version}
    obj = copy.deepcopy(event["data"]["object"])
    reshape = RESHAPERS.get(obj.get("object"))
    if reshape is not None:
        reshape(obj)
    return {**event, "api_version": version, "data": {**event["data"], "object": obj}}


def _old_subscription(subscription: dict[str, Any]) -> None:
    items = (subscription.get("items") or {}).get("data") or []
    if items:
        subscription["current_period_start"] = min(item["current_period_start"] for item in items)
        subscription["current_period_end"] = max(item["current_period_end"] for item in items)
    for item in items:
        item.pop("current_period_start", None)
        item.pop("current_period_end", None)
        item["plan"] = _plan_of(item.get("price"))
    if len(items) == 1:
        subscription["plan"], subscription["quantity"] = items[0]["plan"], items[0].get("quantity")


def _plan_of(price: Any) -> dict[str, Any] | None:
    """The plan a recurring price is, as old versions showed it beside the price (same id)."""
    if not isinstance(price, dict):
        return None
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price.get("active"),
        "amount": price.get("unit_amount"),
        "currency": price.get("currency"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "product": price.get("product"),
    }


def _old_invoice(invoice: dict[str, Any]) -> None:
    parent = invoice.pop("parent", None) or {}
    details = parent.get("subscription_details") or {}
    invoice["subscription"] = details.get("subscription")


RESHAPERS = {"subscription": _old_subscription, "invoice": _old_invoice}
