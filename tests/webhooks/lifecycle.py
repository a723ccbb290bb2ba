"""A subscription's whole life at the fake Stripe, and the comparison of the mirror with the fake's state."""

from __future__ import annotations

from typing import Any

from django_stripe.client import get_client
from django_stripe.models import SubscriptionItem
from django_stripe.sync.drift import SILENT_FIELDS  # moved by Stripe without an event: no webhook brings them
from django_stripe.sync.upsert import MIRRORS, MODELS_BY_OBJECT, columns_for
from django_stripe.testing.fake import FakeStripe

DAY = 24 * 3600


def run_subscription_lifecycle(fake: FakeStripe) -> str:
    """Create, trial, active, payment method change, price swap, past_due, cancel at period end, deleted.

    Returns the subscription id; the events are in `fake.events`.
    """
    client = get_client().v1
    product = client.products.create({"name": "Gold"})
    monthly = {"interval": "month"}
    basic = client.prices.create({"product": product.id, "unit_amount": 1000, "currency": "usd", "recurring": monthly})
    plus = client.prices.create({"product": product.id, "unit_amount": 2500, "currency": "usd", "recurring": monthly})
    customer = client.customers.create({"email": "lifecycle@example.com", "name": "Life Cycle"})
    visa = client.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.customers.update(customer.id, {"invoice_settings": {"default_payment_method": visa.id}})
    subscription = client.subscriptions.create(
        {"customer": customer.id, "items": [{"price": basic.id}], "trial_period_days": 14}
    )
    fake.advance_clock(15 * DAY)  # trial ends: active, first invoice paid
    mastercard = client.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    client.subscriptions.update(subscription.id, {"default_payment_method": mastercard.id})
    item = client.subscriptions.retrieve(subscription.id)["items"]["data"][0]
    client.subscriptions.update(subscription.id, {"items": [{"id": item["id"], "price": plus.id}]})
    failing = client.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    client.subscriptions.update(subscription.id, {"default_payment_method": failing.id})
    fake.advance_clock(31 * DAY)  # renewal fails: past_due
    client.payment_methods.detach(visa.id)
    client.subscriptions.update(subscription.id, {"cancel_at_period_end": True})
    fake.advance_clock(31 * DAY)  # the period ends: canceled, customer.subscription.deleted
    return subscription.id


def mirrored_ids(events: list[dict[str, Any]]) -> dict[str, type]:
    """Every mirrored object the events are about, with its model."""
    found = {}
    for event in events:
        obj = event["data"]["object"]
        model = MODELS_BY_OBJECT.get(obj.get("object", ""))
        if model is not None and obj.get("id"):
            found[obj["id"]] = model
    return found


def compared_columns(columns: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in columns.items() if name != "deleted"}


def mirror_differences(fake: FakeStripe, events: list[dict[str, Any]]) -> list[str]:
    """How the mirror differs from the fake's current state (empty when they agree)."""
    differences = []
    for object_id, model in mirrored_ids(events).items():
        expected = fake.get(object_id)
        row = model.objects.filter(pk=object_id).first()
        if row is None:
            differences.append(f"{object_id}: not mirrored")
            continue
        silent = [name for name in SILENT_FIELDS if name in expected and name in row.stripe_data]
        expected |= {name: row.stripe_data[name] for name in silent}
        columns = columns_for(MIRRORS[model], expected, False)
        actual = {name: getattr(row, name) for name in columns}
        if compared_columns(actual) != compared_columns(columns):
            changed = [name for name in columns if actual[name] != columns[name] and name != "deleted"]
            differences.append(f"{object_id}: {changed}")
        if row.deleted != columns["deleted"]:
            differences.append(f"{object_id}: deleted={row.deleted}, expected {columns['deleted']}")
        if expected.get("object") == "subscription":
            differences.extend(_item_differences(expected, row.deleted))
    return differences


def _item_differences(subscription: dict[str, Any], ended: bool) -> list[str]:
    expected = {item["id"]: item["price"]["id"] for item in subscription["items"]["data"]}
    items = SubscriptionItem.objects.filter(subscription_id=subscription["id"])
    live = dict(items.filter(deleted=ended).values_list("id", "price_id"))
    return [] if live == expected else [f"items of {subscription['id']}: {live} != {expected}"]
