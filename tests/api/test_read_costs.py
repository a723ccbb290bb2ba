"""What a read list costs: at most two queries of its own, however many objects (the session and user lookups
of a session login come on top: these clients are force-authenticated), none for what a user without a
customer cannot have; and DRF's content negotiation skipped only where its answer is known."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.test import APIRequestFactory

from django_stripe.api.views import StripeInvoiceView
from django_stripe.models import Customer
from django_stripe.testing.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentMethodFactory,
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    SubscriptionFactory,
)
from tests.billables import request_billable_queries

pytestmark = pytest.mark.django_db

LISTS = ["/api/products/", "/api/prices/", "/api/subscriptions/", "/api/invoices/", "/api/payment-methods/"]
# A user without customer: the catalogue is still listed, there is nothing of theirs to look up.
WITHOUT_CUSTOMER = {
    "/api/products/": 1,
    "/api/prices/": 1,
    "/api/subscriptions/": 0,
    "/api/invoices/": 0,
    "/api/payment-methods/": 0,
}


def add(count: int, customer_id: str = "cus_1") -> None:
    """`count` of everything: products of two prices, subscribed ones, invoices, cards (one the default)."""
    for _ in range(count):
        product = ProductFactory()
        PriceFactory(payload__product=product.id)
        price = PriceFactory(payload__product=product.id)
        SubscriptionFactory(payload__customer=customer_id, payload__price=PricePayloadFactory(**price.stripe_data))
        InvoiceFactory(payload__customer=customer_id)
        card = PaymentMethodFactory(payload__customer=customer_id)
    Customer.objects.filter(id=customer_id).delete()
    CustomerFactory(payload__id=customer_id, payload__invoice_settings={"default_payment_method": card.id})


def queries(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), len(response.json())


@pytest.mark.parametrize("path", LISTS)
def test_at_most_two_queries_for_one_object_and_for_many(make_client, path):
    client = make_client(customer_id="cus_1")
    add(1)
    few, listed = queries(client, path)
    assert few <= 2 + request_billable_queries() and listed >= 1
    add(30)
    many, listed = queries(client, path)
    assert many == few and listed >= 31


@pytest.mark.parametrize("path", LISTS)
def test_a_user_without_customer_costs_no_query_for_what_is_theirs(make_client, path):
    add(3, customer_id="cus_other")
    client = make_client()
    assert queries(client, path)[0] == WITHOUT_CUSTOMER[path] + request_billable_queries()


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_json_clients_skip_negotiation_for_the_answer_drf_would_give(accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    request = StripeInvoiceView().initialize_request(APIRequestFactory().get("/api/invoices/", **headers))
    view = StripeInvoiceView(request=request, format_kwarg=None, args=(), kwargs={})
    renderer, media_type = view.perform_content_negotiation(request)
    expected_renderer, expected_media_type = DefaultContentNegotiation().select_renderer(request, view.get_renderers())
    assert (type(renderer), media_type) == (type(expected_renderer), expected_media_type)


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        ("", "application/json", "application/json"),
        ("", "*/*", "application/json"),
        ("", "text/html", "text/html; charset=utf-8"),
        ("?format=api", "*/*", "text/html; charset=utf-8"),
        ("?format=json", "*/*", "application/json"),
    ],
)
def test_other_clients_are_negotiated_as_ever(make_client, query, accept, content_type):
    """The browsable API still answers a browser."""
    response = make_client(customer_id="cus_1").get(f"/api/invoices/{query}", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
