"""Mappers: the current API shape (Stripe's own fixtures) and the older shapes endpoints may be pinned to."""

from datetime import UTC, datetime

from django_stripe.sync import mappers
from django_stripe.testing.factories import (
    CustomerPayloadFactory,
    InvoicePayloadFactory,
    PaymentMethodPayloadFactory,
    PricePayloadFactory,
    SubscriptionPayloadFactory,
)
from django_stripe.testing.fixtures import stripe_fixture


def ts(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def test_subscription_period_comes_from_its_items_in_the_current_shape():
    payload = stripe_fixture("subscription")
    item = payload["items"]["data"][0]
    columns = mappers.map_subscription(payload)
    assert "current_period_end" not in payload  # 2025-03-31+: the period is on the items only
    assert columns["current_period_start"] == ts(item["current_period_start"])
    assert columns["current_period_end"] == ts(item["current_period_end"])
    assert columns["customer_id"] == payload["customer"]
    assert columns["stripe_data"] is payload


def test_subscription_period_spans_all_items():
    payload = SubscriptionPayloadFactory(period_start=1000, period_end=5000)
    later = {**payload["items"]["data"][0], "id": "si_2", "current_period_start": 2000, "current_period_end": 9000}
    payload["items"]["data"].append(later)
    columns = mappers.map_subscription(payload)
    assert (columns["current_period_start"], columns["current_period_end"]) == (ts(1000), ts(9000))


def test_subscription_of_an_older_api_version_keeps_the_period_at_the_top():
    payload = SubscriptionPayloadFactory()
    for item in payload["items"]["data"]:
        del item["current_period_start"], item["current_period_end"]
    payload.update(current_period_start=1000, current_period_end=4000)
    columns = mappers.map_subscription(payload)
    item = mappers.map_subscription_item(payload["items"]["data"][0], payload)
    assert (columns["current_period_start"], columns["current_period_end"]) == (ts(1000), ts(4000))
    assert (item["current_period_start"], item["current_period_end"]) == (ts(1000), ts(4000))


def test_item_with_plan_instead_of_price_older_shape():
    item = {
        "id": "si_old",
        "object": "subscription_item",
        "subscription": "sub_old",
        "plan": {"id": "plan_gold", "object": "plan", "product": "prod_gold"},
        "quantity": 2,
        "created": 1000,
        "metadata": {},
    }
    columns = mappers.map_subscription_item(item)
    assert (columns["price_id"], columns["product_id"], columns["quantity"]) == ("plan_gold", "prod_gold", 2)
    assert columns["subscription_id"] == "sub_old"


def test_item_with_an_expanded_product():
    item = stripe_fixture("subscription_item")
    item["price"]["product"] = {"id": "prod_expanded", "object": "product"}
    assert mappers.map_subscription_item(item)["product_id"] == "prod_expanded"


def test_invoice_subscription_in_the_current_and_the_older_shape():
    current = InvoicePayloadFactory(subscription="sub_new")
    assert current["parent"]["subscription_details"]["subscription"] == "sub_new"
    assert mappers.map_invoice({**current, "subscription": None})["subscription_id"] == "sub_new"
    older = {**InvoicePayloadFactory(), "parent": None, "subscription": "sub_old"}
    assert mappers.map_invoice(older)["subscription_id"] == "sub_old"
    assert mappers.map_invoice(stripe_fixture("invoice"))["customer_id"] == stripe_fixture("invoice")["customer"]


def test_price_product_customer_payment_method_and_entitlement():
    price = mappers.map_price(PricePayloadFactory(product={"id": "prod_1", "object": "product"}, unit_amount=990))
    assert (price["product_id"], price["unit_amount"], price["recurring_interval"]) == ("prod_1", 990, "month")
    customer = CustomerPayloadFactory(invoice_settings={"default_payment_method": "pm_1"})
    assert mappers.map_customer(customer)["default_payment_method_id"] == "pm_1"
    method = mappers.map_payment_method(stripe_fixture("payment_method"))
    assert method["type"] == "card" and len(method["card_last4"]) == 4
    assert mappers.map_payment_method(PaymentMethodPayloadFactory(customer=None))["customer_id"] is None
    entitlement = mappers.map_active_entitlement(stripe_fixture("entitlements.active_entitlement"), "cus_1")
    assert entitlement["customer_id"] == "cus_1" and entitlement["lookup_key"]


def test_deleted_object_stubs_map_to_tombstones():
    for name in ("deleted_customer", "deleted_product", "deleted_price"):
        assert mappers.common_columns(stripe_fixture(name))["deleted"] is True
