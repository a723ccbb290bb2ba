"""The read lists' plain functions answer exactly what the serializers answer: per payload (Stripe's own
examples, the factories' and odd ones), and per endpoint, byte for byte as DRF renders them."""

import itertools

import pytest
import stripe
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.api import representations, serializers
from django_stripe.models import Invoice, Subscription
from django_stripe.testing.factories import (
    CustomerFactory,
    InvoiceFactory,
    InvoicePayloadFactory,
    PaymentMethodFactory,
    PaymentMethodPayloadFactory,
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    ProductPayloadFactory,
    SubscriptionFactory,
    SubscriptionPayloadFactory,
)
from django_stripe.testing.fixtures import bundled_fixture, stripe_fixture
from tests.billables import billable_of

INFO = {"subscribed": True, "cancel_at": 1700000000, "current_period_end": 1700000001}
# Values a payload should not hold but a mirror might: what DRF makes of them is what the API answers.
ODD = [None, "", "false", "True", "null", "x", 0, 1, 1.0, 12.7, "12", ["a", None], {"k": 1, "n": None}]
ODD_NUMBERS = [None, 0, 1, 1.0, 12.7, "12", True]
ODD_DICTS = [None, {}, {"k": 1, "n": None, 2: "two"}]
ODD_LISTS = [None, [], ["a", None, 3], "ab"]


def same(serializer_class, present, value):
    assert present(value) == serializer_class(value).data


def catalog_product(payload, prices=()):
    fields = {name: payload.get(name) for name in payments.products.PRODUCT_FIELDS}
    return {**fields, "prices": [catalog_price(price) for price in prices], "subscription_info": INFO}


def catalog_price(payload, info=INFO):
    return {**{name: payload.get(name) for name in payments.products.PRICE_FIELDS}, "subscription_info": info}


def test_stripe_examples():
    price = stripe_fixture("price")
    same(serializers.PriceSerializer, representations.price, catalog_price(price))
    same(serializers.ProductSerializer, representations.product, catalog_product(stripe_fixture("product"), [price]))
    for invoice in (stripe_fixture("invoice"), bundled_fixture("invoice")):
        same(serializers.InvoiceSerializer, representations.invoice, invoice)
    same(serializers.SubscriptionSerializer, representations.subscription, stripe_fixture("subscription"))
    method = {**stripe_fixture("payment_method"), "default": True}
    same(serializers.PaymentMethodSerializer, representations.payment_method, method)


@pytest.mark.parametrize("number", range(5))
def test_factory_payloads(number):
    price = PricePayloadFactory()
    same(serializers.PriceSerializer, representations.price, catalog_price(price))
    same(serializers.ProductSerializer, representations.product, catalog_product(ProductPayloadFactory(), [price]))
    same(serializers.InvoiceSerializer, representations.invoice, InvoicePayloadFactory())
    subscription = SubscriptionPayloadFactory(cancel_at_period_end=bool(number % 2), latest_invoice="in_1")
    same(serializers.SubscriptionSerializer, representations.subscription, subscription)
    same(serializers.PaymentMethodSerializer, representations.payment_method, {**PaymentMethodPayloadFactory()})


def test_missing_and_empty():
    same(serializers.PriceSerializer, representations.price, catalog_price({}, info=None))
    same(serializers.ProductSerializer, representations.product, {**catalog_product({}), "prices": None})
    same(serializers.InvoiceSerializer, representations.invoice, {"id": "in_1"})
    same(serializers.SubscriptionSerializer, representations.subscription, {"id": "sub_1", "status": "active"})
    same(serializers.PaymentMethodSerializer, representations.payment_method, {"id": "pm_1", "type": "card"})
    info = {"subscribed": False}  # the nullable fields of subscription_info may be missing too
    same(serializers.PriceSerializer, representations.price, catalog_price(PricePayloadFactory(), info=info))


@pytest.mark.parametrize("odd", ODD)
def test_odd_values(odd):
    """Text, boolean and JSON fields take anything."""
    price = {**PricePayloadFactory(), "nickname": odd, "lookup_key": odd, "recurring": odd, "currency": odd}
    same(serializers.PriceSerializer, representations.price, catalog_price(price))
    product = {**ProductPayloadFactory(), "shippable": odd, "description": odd, "name": odd}
    same(serializers.ProductSerializer, representations.product, catalog_product(product))
    method = {"id": "pm_1", "type": "card", "default": odd, "card": odd}
    same(serializers.PaymentMethodSerializer, representations.payment_method, method)
    subscription = {**SubscriptionPayloadFactory(), "cancel_at_period_end": odd, "status": odd or "active"}
    same(serializers.SubscriptionSerializer, representations.subscription, subscription)
    invoice = {**InvoicePayloadFactory(), "status": odd, "hosted_invoice_url": odd}
    same(serializers.InvoiceSerializer, representations.invoice, invoice)
    if odd is not None:  # `subscribed` is not nullable: None fails in the serializer and here alike
        info = {"subscribed": odd, "cancel_at": None, "current_period_end": None}
        same(serializers.PriceSerializer, representations.price, catalog_price(PricePayloadFactory(), info=info))


@pytest.mark.parametrize(("number", "mapping", "items"), itertools.zip_longest(ODD_NUMBERS, ODD_DICTS, ODD_LISTS))
def test_odd_numbers_dicts_and_lists(number, mapping, items):
    price = {**PricePayloadFactory(), "unit_amount": number, "metadata": mapping}
    same(serializers.PriceSerializer, representations.price, catalog_price(price))
    product = {**ProductPayloadFactory(), "images": items, "metadata": mapping}
    same(serializers.ProductSerializer, representations.product, catalog_product(product))
    same(serializers.InvoiceSerializer, representations.invoice, {**InvoicePayloadFactory(), "amount_due": number})
    subscription = {**SubscriptionPayloadFactory(), "days_until_due": number, "quantity": number}
    same(serializers.SubscriptionSerializer, representations.subscription, subscription)


def test_unconvertible_values_fail_alike():
    for payload in ({"id": "in_1", "amount_due": "many"}, {"number": "1"}):
        with pytest.raises((ValueError, KeyError)):
            serializers.InvoiceSerializer(payload).data  # noqa: B018
        with pytest.raises((ValueError, KeyError)):
            representations.invoice(payload)


# Per endpoint: the response is the bytes DRF renders for the serializers' data of the same rows.


@pytest.fixture
def client(db, make_user):
    user = make_user(stripe_customer_id="cus_1")
    for product, amount in itertools.product([ProductFactory(), ProductFactory()], [1000, 2000]):
        PriceFactory(payload__product=product.id, payload__unit_amount=amount)
    ProductFactory()  # no price
    price = payments.get_prices(billable_of(user))[1]
    SubscriptionFactory(payload__customer="cus_1", payload__price=PricePayloadFactory(**{**price, "active": True}))
    SubscriptionFactory(payload__customer="cus_1", payload__status="trialing", payload__cancel_at_period_end=True)
    SubscriptionFactory(payload__customer="cus_1", payload__status="canceled", deleted=True)
    for subscription in Subscription.objects.all():
        InvoiceFactory(payload__customer="cus_1", payload__subscription=subscription.id)
    cards = [PaymentMethodFactory(payload__customer="cus_1") for _ in range(3)]
    CustomerFactory(payload__id="cus_1", payload__invoice_settings={"default_payment_method": cards[1].id})
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


def rendered(serializer_class, rows) -> bytes:
    return JSONRenderer().render(serializer_class(rows, many=True).data)


@pytest.mark.parametrize("query", ["", "?status=all"])
def test_subscriptions_endpoint(client, query):
    rows = Subscription.objects.with_status(query.partition("=")[2] or None).filter(customer_id="cus_1")
    expected = rendered(serializers.SubscriptionSerializer, rows.order_by("-created", "-id"))
    assert client.get(f"/api/subscriptions/{query}").content == expected


def test_invoices_endpoint(client):
    rows = Invoice.objects.live().filter(customer_id="cus_1").order_by("-created", "-id")
    assert client.get("/api/invoices/").content == rendered(serializers.InvoiceSerializer, rows)


def test_payment_methods_endpoint(client):
    listed = payments.list_payment_methods(billable_of(client.user))
    assert [method.default for method in listed] == [False, True, False]
    assert isinstance(listed[0], stripe.PaymentMethod)
    assert client.get("/api/payment-methods/").content == rendered(serializers.PaymentMethodSerializer, listed)


def test_products_and_prices_endpoints(client):
    products = payments.get_products(billable_of(client.user))
    assert any(product["subscription_info"]["subscribed"] for product in products)
    assert client.get("/api/products/").content == rendered(serializers.ProductSerializer, products)
    prices = payments.get_prices(billable_of(client.user))
    assert client.get("/api/prices/").content == rendered(serializers.PriceSerializer, prices)
