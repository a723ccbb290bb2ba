"""Every read endpoint answers from the mirror, in the original API's shapes, with constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_stripe.testing.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentMethodFactory,
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

SUBSCRIPTION_FIELDS = {
    "id",
    "created",
    "product",
    "price",
    "cancel_at",
    "current_period_end",
    "current_period_start",
    "days_until_due",
    "default_payment_method",
    "latest_invoice",
    "start_date",
    "status",
    "trial_end",
    "trial_start",
}
INVOICE_FIELDS = {
    "id",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "billing_reason",
    "created",
    "hosted_invoice_url",
    "invoice_pdf",
    "next_payment_attempt",
    "status",
    "subscription",
}


def test_unauthenticated_requests_are_refused():
    for path in ("/api/products/", "/api/subscriptions/", "/api/invoices/", "/api/payment-methods/"):
        assert APIClient().get(path).status_code in (401, 403)
    assert APIClient().post("/api/subscriptions/", {"price_id": "price_1"}).status_code in (401, 403)


def test_products_and_prices(make_client):
    product = ProductFactory(payload__name="Gold")
    price = PriceFactory(payload__product=product.id, payload__metadata={"price_header": "Gold"})
    client = make_client()
    (listed,) = client.get("/api/products/").json()
    assert listed["name"] == "Gold" and listed["prices"][0]["id"] == price.id
    assert listed["subscription_info"] == {"subscribed": False, "cancel_at": None, "current_period_end": None}
    assert client.get(f"/api/products/{product.id}/").json()["id"] == product.id
    assert client.get("/api/products/prod_missing/").status_code == 404
    (listed_price,) = client.get("/api/prices/").json()
    assert listed_price["metadata"] == {"price_header": "Gold"} and listed_price["product"] == product.id
    assert client.get(f"/api/prices/{price.id}/").json()["id"] == price.id


def test_missing_and_forbidden_products_and_prices_answer_with_their_message(make_client, settings):
    allowed, other = ProductFactory(), ProductFactory()
    other_price = PriceFactory(payload__product=other.id)
    client = make_client()
    missing = {
        "/api/products/prod_missing/": b'{"detail":"No such product: \'prod_missing\'"}',
        "/api/prices/price_missing/": b'{"detail":"No such price: \'price_missing\'"}',
    }
    for path, body in missing.items():
        response = client.get(path)
        assert (response.status_code, response.content) == (404, body)
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = allowed.id
    settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY = True
    forbidden = f'{{"detail":"Cannot access product {other.id}"}}'.encode()
    for path in (
        f"/api/products/{other.id}/",
        f"/api/products/?ids={other.id}",
        f"/api/prices/{other_price.id}/",
        f"/api/prices/?product={other.id}",
    ):
        response = client.get(path)
        assert (response.status_code, response.content) == (403, forbidden), path


def test_product_and_price_filters_as_query_or_json_body(make_client):
    first, second = ProductFactory(), ProductFactory()
    PriceFactory(payload__product=first.id, payload__currency="eur")
    PriceFactory(payload__product=second.id, payload__currency="usd")
    client = make_client()
    assert [p["id"] for p in client.get(f"/api/products/?ids={second.id}").json()] == [second.id]
    assert [p["id"] for p in client.get("/api/products/", {"ids": f"{first.id},{second.id}"}).json()] == [
        first.id,
        second.id,
    ]
    assert [p["id"] for p in client.get(f"/api/products/?ids={first.id}&ids={second.id}").json()] == [
        first.id,
        second.id,
    ]
    body = client.generic("GET", "/api/products/", f'{{"ids": ["{first.id}"]}}', content_type="application/json")
    assert [p["id"] for p in body.json()] == [first.id]
    both = f'{{"ids": ["{first.id}", "{second.id}"]}}'
    body = client.generic("GET", "/api/products/", both, content_type="application/json")
    assert [p["id"] for p in body.json()] == [first.id, second.id]
    assert [p["currency"] for p in client.get("/api/prices/?currency=eur").json()] == ["eur"]
    assert [p["currency"] for p in client.get("/api/prices/?currency=EUR").json()] == ["eur"]
    assert [p["product"] for p in client.get(f"/api/prices/?product={second.id}").json()] == [second.id]
    assert client.get("/api/prices/?currency=toolong").status_code == 400


def test_subscriptions_in_the_seed_shape(make_client):
    client = make_client(customer_id="cus_1")
    price = PricePayloadFactory(product="prod_gold")
    subscription = SubscriptionFactory(payload__customer="cus_1", payload__price=price, payload__latest_invoice="in_1")
    SubscriptionFactory(payload__customer="cus_2")
    (listed,) = client.get("/api/subscriptions/").json()
    assert set(listed) >= SUBSCRIPTION_FIELDS
    assert (listed["id"], listed["product"], listed["price"]) == (subscription.id, "prod_gold", price["id"])
    assert listed["current_period_end"] == int(subscription.current_period_end.timestamp())
    assert listed["latest_invoice"] == "in_1"
    assert client.get(f"/api/subscriptions/{subscription.id}/").json()["id"] == subscription.id


def test_cancelled_subscriptions_are_listed_on_request(make_client):
    client = make_client(customer_id="cus_1")
    SubscriptionFactory(payload__customer="cus_1", payload__status="canceled", deleted=True)
    assert client.get("/api/subscriptions/").json() == []
    assert len(client.get("/api/subscriptions/?status=canceled").json()) == 1
    assert len(client.get("/api/subscriptions/?status=all").json()) == 1


def test_invoices_with_filters(make_client):
    client = make_client(customer_id="cus_1")
    paid = InvoiceFactory(payload__customer="cus_1", payload__subscription="sub_1")
    InvoiceFactory(payload__customer="cus_1", payload__status="open", payload__subscription="sub_2")
    InvoiceFactory(payload__customer="cus_2", payload__subscription="sub_1")
    listed = client.get("/api/invoices/").json()
    assert len(listed) == 2 and set(listed[0]) >= INVOICE_FIELDS
    (only,) = client.get("/api/invoices/?status=paid").json()
    assert (only["id"], only["subscription"]) == (paid.id, "sub_1")
    assert [i["subscription"] for i in client.get("/api/invoices/?subscription=sub_2").json()] == ["sub_2"]
    assert client.get("/api/invoices/?status=bogus").status_code == 400
    assert client.get(f"/api/invoices/{paid.id}/").json()["amount_due"] == paid.amount_due


def test_payment_methods_with_default_flag(make_client):
    client = make_client(customer_id="cus_1")
    first = PaymentMethodFactory(payload__customer="cus_1")
    second = PaymentMethodFactory(payload__customer="cus_1")
    PaymentMethodFactory(payload__customer="cus_2")
    CustomerFactory(payload__id="cus_1", payload__invoice_settings={"default_payment_method": second.id})
    listed = {pm["id"]: pm["default"] for pm in client.get("/api/payment-methods/").json()}
    assert listed == {first.id: False, second.id: True}
    detail = client.get(f"/api/payment-methods/{first.id}/").json()
    assert detail["card"]["last4"] == "4242"


@pytest.mark.parametrize("kind", ["subscriptions", "invoices", "payment-methods"])
def test_another_users_object_answers_404_like_a_missing_one(make_client, kind):
    owner_objects = {
        "subscriptions": lambda: SubscriptionFactory(payload__customer="cus_owner"),
        "invoices": lambda: InvoiceFactory(payload__customer="cus_owner"),
        "payment-methods": lambda: PaymentMethodFactory(payload__customer="cus_owner"),
    }
    obj = owner_objects[kind]()
    intruder = make_client("mallory", customer_id="cus_intruder")
    foreign = intruder.get(f"/api/{kind}/{obj.id}/")
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": f"No such {obj.stripe_object_name}: '{obj.id}'"}
    assert obj.id not in intruder.get(f"/api/{kind}/").content.decode()


def list_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path", ["/api/subscriptions/", "/api/invoices/", "/api/payment-methods/", "/api/products/", "/api/prices/"]
)
def test_list_queries_do_not_grow_with_objects(make_client, path):
    client = make_client(customer_id="cus_1")

    def add(count):
        for _ in range(count):
            product = ProductFactory()
            PriceFactory(payload__product=product.id)
            SubscriptionFactory(payload__customer="cus_1")
            InvoiceFactory(payload__customer="cus_1")
            PaymentMethodFactory(payload__customer="cus_1")

    add(1)
    one = list_queries(client, path)
    add(49)
    assert list_queries(client, path) == one
