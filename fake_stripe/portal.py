"""The hosted billing portal's content (the page itself is `pages.portal_page`): what the session's
configuration offers on each of the customer's subscriptions, and what its buttons do.

Cancellation is offered when `subscription_cancel` is enabled (at the period's end or at once, by its `mode`),
renewal of a subscription set to cancel always; a plan change when `subscription_update` is enabled, among the
configured products' prices, for a subscription of one item. A plan change applies with the configuration's
`proration_behavior` and, as Stripe's portal does, `payment_behavior=pending_if_incomplete`: a declined charge
leaves the plan as it was. A trialing subscription's change ends the trial with `trial_update_behavior=end_trial`.
A change that meets one of `schedule_at_period_end`'s conditions (`decreasing_item_amount`, `shortening_interval`)
is scheduled instead, through the subscription's schedule, for the end of the period.

A click is not an API request: it takes no injected fault (those are for the application's next call), and it
can only touch the session's customer's own subscriptions.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .errors import card_declined
from .resources.invoices import charge_outcome, payment_method_for
from .resources.subscription_items import items_of
from .resources.subscription_schedules import schedule_at_period_end
from .resources.subscription_status import ENDED, cancel_subscription
from .resources.subscription_updates import update_subscription
from .store import StripeObject

if TYPE_CHECKING:
    from .protocol import Fake


def act(fake: Fake, session: StripeObject, params: dict[str, Any]) -> str:
    """Do what the customer's click asks (`subscription`, `action`: cancel, renew or update with `price` and
    `quantity`); an error message for the page, or ""."""
    with fake.locked():
        subscription = fake.store.get(params.get("subscription") or "")
        if subscription is None or subscription.get("object") != "subscription":
            return ""
        if subscription.get("customer") != session["customer"]:
            return ""  # another customer's subscription: nothing to see here
        features = _configuration(fake, session)["features"]
        action = params.get("action")
        if action == "update":
            return _change_plan(fake, subscription, features["subscription_update"], params)
        if action != "cancel":
            update_subscription(fake, subscription, {"cancel_at_period_end": "false"})
        elif features["subscription_cancel"]["enabled"]:
            if features["subscription_cancel"]["mode"] == "immediately":
                cancel_subscription(fake, subscription)
            else:
                update_subscription(fake, subscription, {"cancel_at_period_end": "true"})
        return ""


def rows(fake: Fake, session: StripeObject) -> str:
    """A table row per subscription of the customer: its status, its cancel or renew button, and the plan
    change form when the configuration offers one."""
    with fake.locked():
        features = _configuration(fake, session)["features"]
        subscriptions = fake.store.owned_by(session["customer"], "subscription")
        rows = ""
        for subscription in subscriptions:
            ending = " (cancels at period end)" if subscription["cancel_at_period_end"] else ""
            button = _cancel_button(subscription, features["subscription_cancel"])
            rows += f"<tr><td>{subscription['id']}</td><td>{subscription['status']}{ending}</td><td>{button}</td></tr>"
            form = _plan_form(fake, subscription, features["subscription_update"])
            if form:
                rows += f"<tr><td colspan='3'>{form}</td></tr>"
        return rows


def _configuration(fake: Fake, session: StripeObject) -> StripeObject:
    return fake.store.get(session["configuration"])


def _cancel_button(subscription: StripeObject, feature: StripeObject) -> str:
    if subscription["status"] in ENDED:
        return ""
    if subscription["cancel_at_period_end"]:
        action = "renew"
    elif feature["enabled"]:
        action = "cancel"
    else:
        return ""
    return (
        f"<form method='post'><input type='hidden' name='subscription' value='{subscription['id']}'>"
        f"<button name='action' value='{action}'>{action.title()}</button></form>"
    )


def _offered_prices(fake: Fake, feature: StripeObject) -> list[StripeObject]:
    prices = (fake.store.get(price_id) for product in feature["products"] for price_id in product["prices"])
    return [price for price in prices if price is not None and price["active"]]


def _plan_form(fake: Fake, subscription: StripeObject, feature: StripeObject) -> str:
    """The plan change form, or "" when the configuration offers none for this subscription."""
    allowed = feature["default_allowed_updates"]
    if not feature["enabled"] or subscription["status"] in ENDED or len(items_of(subscription)) != 1:
        return ""
    item = items_of(subscription)[0]
    fields = ""
    if "price" in allowed and (prices := _offered_prices(fake, feature)):
        options = "".join(
            f"<option value='{price['id']}'{' selected' if price['id'] == item['price']['id'] else ''}>"
            f"{html.escape(_price_label(fake, price))}</option>"
            for price in prices
        )
        fields += f"<label>Plan <select name='price'>{options}</select></label> "
    if "quantity" in allowed:
        fields += f"<label>Quantity <input type='number' name='quantity' min='1' value='{item['quantity']}'></label> "
    if not fields:
        return ""
    return (
        f"<form method='post'><input type='hidden' name='subscription' value='{subscription['id']}'>{fields}"
        "<button name='action' value='update'>Change plan</button></form>"
    )


def _at_period_end(fake: Fake, feature: StripeObject, item: StripeObject, change: dict[str, Any]) -> bool:
    """Whether the configuration's `schedule_at_period_end` conditions hold for the change: a lower amount
    (`decreasing_item_amount`: price × quantity) or a shorter interval (`shortening_interval`)."""
    conditions = {condition["type"] for condition in feature["schedule_at_period_end"]["conditions"]}
    old_price = item["price"]
    new_price = fake.store.get(change.get("price", old_price["id"])) or old_price
    quantity = int(change.get("quantity", item["quantity"]))
    if "decreasing_item_amount" in conditions and new_price["unit_amount"] * quantity < (
        old_price["unit_amount"] * item["quantity"]
    ):
        return True
    return "shortening_interval" in conditions and _interval_days(new_price) < _interval_days(old_price)


def _interval_days(price: StripeObject) -> int:
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[price["recurring"]["interval"]]
    return days * price["recurring"]["interval_count"]


def _price_label(fake: Fake, price: StripeObject) -> str:
    product = fake.store.get(price["product"]) or {"name": price["product"]}
    count, interval = price["recurring"]["interval_count"], price["recurring"]["interval"]
    every = interval if count == 1 else f"{count} {interval}s"
    return f"{product['name']}: {price['unit_amount'] / 100:.2f} {price['currency'].upper()} / {every}"


def _change_plan(fake: Fake, subscription: StripeObject, feature: StripeObject, params: dict[str, Any]) -> str:
    if not _plan_form(fake, subscription, feature):
        return "Plan changes are not available for this subscription."
    item = items_of(subscription)[0]
    change: dict[str, Any] = {"id": item["id"]}
    price = params.get("price")
    if price and price != item["price"]["id"]:
        if "price" not in feature["default_allowed_updates"] or price not in {
            p["id"] for p in _offered_prices(fake, feature)
        }:
            return "That plan is not available."
        change["price"] = price
    quantity = str(params.get("quantity") or item["quantity"])
    if quantity != str(item["quantity"]):
        if "quantity" not in feature["default_allowed_updates"] or not quantity.isdigit() or int(quantity) < 1:
            return "That quantity is not available."
        change["quantity"] = quantity
    if len(change) == 1:
        return ""
    if _at_period_end(fake, feature, item, change):
        new_item = {"price": change.get("price", item["price"]["id"]), "quantity": int(quantity)}
        schedule_at_period_end(fake, subscription, [new_item])
        return ""
    update = {
        "items": [change],
        "proration_behavior": feature["proration_behavior"],
        "payment_behavior": "pending_if_incomplete",
    }
    if subscription["status"] == "trialing" and feature["trial_update_behavior"] == "end_trial":
        update["trial_end"] = "now"
    if feature["billing_cycle_anchor"] == "now":
        update["billing_cycle_anchor"] = "now"
    latest = subscription["latest_invoice"]
    update_subscription(fake, subscription, update)
    if subscription["pending_update"] is None or subscription["latest_invoice"] == latest:
        return ""
    invoice = fake.store.get(subscription["latest_invoice"])
    decline = charge_outcome(fake, invoice, payment_method_for(fake, invoice, subscription)) or "generic_decline"
    return f"{card_declined(decline).message} Your plan was not changed."
