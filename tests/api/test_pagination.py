"""The REST lists paged by the project's REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"], or a view's own
`pagination_class`: every class of REST framework's, walked page by page over the API, answers the unpaged list
in its order, each page in a constant number of queries; without a paginator the lists stay bare arrays."""

from __future__ import annotations

import re
import sys
import types

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from rest_framework.pagination import CursorPagination, LimitOffsetPagination, PageNumberPagination
from rest_framework.test import APIClient

from django_stripe.api.views import StripeInvoiceView, StripeSubscriptionView
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
from tests import markdown
from tests.api.pages import PAGE_SIZE, PAGINATIONS, Cursor, PageNumber
from tests.billables import create_user, give_customer, request_billable_queries

pytestmark = pytest.mark.django_db

LISTS = ["/api/products/", "/api/prices/", "/api/subscriptions/", "/api/invoices/", "/api/payment-methods/"]
ENVELOPES = {
    "page-number": {"count", "next", "previous", "results"},
    "limit-offset": {"count", "next", "previous", "results"},
    "cursor": {"next", "previous", "results"},
}
CREATED = 1_700_000_000


def add(count: int, customer_id: str = "cus_1", start: int = 0) -> None:
    """`count` of everything, two at a time in the same second (the lists' ties, broken by id): products of two
    prices (one without an amount), subscriptions, invoices, cards (the last one the customer's default)."""
    for number in range(start, start + count):
        created = CREATED + number // 2
        product = ProductFactory(payload__created=created)
        PriceFactory(payload__product=product.id, payload__created=created, payload__unit_amount=100 * (number % 4))
        price = PriceFactory(payload__product=product.id, payload__created=created, payload__unit_amount=None)
        SubscriptionFactory(
            payload__customer=customer_id,
            payload__created=created,
            payload__price=PricePayloadFactory(**price.stripe_data),
        )
        InvoiceFactory(payload__customer=customer_id, payload__created=created)
        card = PaymentMethodFactory(payload__customer=customer_id, payload__created=created)
    Customer.objects.filter(id=customer_id).delete()
    CustomerFactory(payload__id=customer_id, payload__invoice_settings={"default_payment_method": card.id})


@pytest.fixture(params=list(PAGINATIONS))
def pagination(request, settings) -> str:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PAGINATIONS[request.param]}
    return request.param


def walk(client, url: str) -> tuple[list[dict], list[int]]:
    """Every page from `url` on, following `next`: the objects in order, and the queries each page took."""
    objects, costs = [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        objects += body["results"]
        costs.append(len(captured))
        url = body["next"]
    return objects, costs


def unpaged(client, path: str, settings) -> list[dict]:
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": None}):
        response = client.get(path)
    assert isinstance(response.json(), list)
    return response.json()


@pytest.mark.parametrize("path", LISTS)
def test_the_pages_hold_the_whole_list_in_its_order(make_client, pagination, path, settings):
    client = make_client(customer_id="cus_1")
    add(8)
    first = client.get(path)
    assert set(first.json()) == ENVELOPES[pagination]
    assert len(first.json()["results"]) == PAGE_SIZE
    if pagination != "cursor":
        assert first.json()["count"] == len(unpaged(client, path, settings))
    objects, _ = walk(client, path)
    assert [o["id"] for o in objects] == [o["id"] for o in unpaged(client, path, settings)]
    assert objects == unpaged(client, path, settings)


@pytest.mark.parametrize("path", LISTS)
def test_a_page_costs_the_same_queries_for_few_objects_and_many(make_client, pagination, path):
    client = make_client(customer_id="cus_1")
    add(PAGE_SIZE)
    _, few = walk(client, path)
    add(PAGE_SIZE * 4, start=PAGE_SIZE)
    _, many = walk(client, path)
    assert len(many) > len(few) >= 1
    # The page, its count, prices, subscriptions (and on the team model, the team and the role).
    assert set(few) | set(many) == {few[0]} and few[0] <= 4 + request_billable_queries()


@pytest.mark.parametrize("path", LISTS)
def test_a_user_without_customer_gets_an_empty_page_of_what_is_theirs(make_client, pagination, path):
    add(2, customer_id="cus_other")
    body = make_client().get(path).json()
    assert set(body) == ENVELOPES[pagination]
    assert (body["results"] == []) == (path not in ("/api/products/", "/api/prices/"))


@pytest.mark.parametrize("path", LISTS)
def test_without_a_pagination_class_the_lists_are_bare_arrays(make_client, path):
    client = make_client(customer_id="cus_1")
    add(5)
    body = client.get(path).json()
    assert isinstance(body, list) and len(body) > PAGE_SIZE


def test_page_number_pagination_without_a_page_size_answers_the_whole_list(make_client, settings):
    assert PageNumberPagination.page_size is None  # no PAGE_SIZE in the example project's settings
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PageNumberPagination}
    client = make_client(customer_id="cus_1")
    add(5)
    assert len(client.get("/api/invoices/").json()) == 5


def test_a_page_beyond_the_last_is_a_404(make_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PageNumber}
    client = make_client(customer_id="cus_1")
    add(2)
    assert client.get("/api/subscriptions/?page=2").status_code == 404
    assert client.get("/api/subscriptions/?page=x").status_code == 404


class SizedCursor(Cursor):
    page_size_query_param = "size"


class SizedPageNumber(PageNumber):
    page_size_query_param = "size"


BEYOND_BIGINT = 10**20


@pytest.mark.parametrize(
    ("paginator", "query"),
    [
        (PAGINATIONS["limit-offset"], f"limit={BEYOND_BIGINT}"),
        (PAGINATIONS["limit-offset"], f"limit={BEYOND_BIGINT}&offset=1"),
        (PAGINATIONS["limit-offset"], f"offset={BEYOND_BIGINT}"),
        (SizedCursor, f"size={BEYOND_BIGINT}"),
        (SizedPageNumber, f"size={BEYOND_BIGINT}"),
    ],
)
def test_a_page_larger_than_the_database_counts_is_the_rest_of_the_list(make_client, settings, paginator, query):
    """A page size past PostgreSQL's bigint LIMIT (found by the schema's fuzzing) answers what is there."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": paginator}
    client = make_client(customer_id="cus_1")
    add(2)
    response = client.get(f"/api/invoices/?{query}")
    assert response.status_code == 200, response.content
    expected = 0 if query.startswith("offset") else 2 - ("offset=1" in query)
    assert len(response.json()["results"]) == expected


def test_filters_apply_before_the_page_is_taken(make_client, pagination):
    client = make_client(customer_id="cus_1")
    add(6)
    invoices, _ = walk(client, "/api/invoices/")
    subscription = client.get("/api/subscriptions/").json()["results"][0]["id"]
    InvoiceFactory(payload__customer="cus_1", payload__subscription=subscription)
    of_one, _ = walk(client, f"/api/invoices/?subscription={subscription}")
    assert [invoice["subscription"] for invoice in of_one] == [subscription]
    assert len(invoices) == 6


class SmallPages(PageNumberPagination):
    page_size = 2


class Unpaged(StripeSubscriptionView):
    pagination_class = None


urlpatterns = [
    path("own-pages/invoices/", StripeInvoiceView.as_view(pagination_class=SmallPages)),
    path("own-pages/limit-offset/", StripeInvoiceView.as_view(pagination_class=LimitOffsetPagination)),
    path("own-pages/cursor/", StripeInvoiceView.as_view(pagination_class=Cursor)),
    path("unpaged/subscriptions/", Unpaged.as_view()),
]


@pytest.mark.urls(__name__)
def test_a_view_of_the_project_sets_its_own_pagination_class(make_client, settings):
    client = make_client(customer_id="cus_1")
    add(5)
    body = client.get("/own-pages/invoices/").json()
    assert body["count"] == 5 and len(body["results"]) == 2
    body = client.get("/own-pages/limit-offset/?limit=4&offset=3").json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert len(client.get("/own-pages/cursor/").json()["results"]) == PAGE_SIZE
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PageNumber}
    assert isinstance(client.get("/unpaged/subscriptions/").json(), list)


def test_a_cursor_pages_in_the_lists_order_whatever_its_ordering(make_client, settings):
    class OldestFirst(CursorPagination):
        ordering = "created"
        page_size = 2

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": OldestFirst}
    client = make_client(customer_id="cus_1")
    add(5)
    paged, _ = walk(client, "/api/subscriptions/")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": None}
    assert paged == client.get("/api/subscriptions/").json()


def test_pages_of_an_api_client_that_logs_in(db, django_user_model, pagination):
    """A session login, as a browser or a script would: the page's own queries come after the session's."""
    user = create_user("bob", password="pw")
    give_customer(user, "cus_1")
    add(4)
    client = APIClient()
    assert client.login(username="bob", password="pw")
    objects, _ = walk(client, "/api/invoices/")
    assert len(objects) == 4


@pytest.fixture
def readme_urls(settings):
    """The URLs of the REST API page's Pagination section, as a module of URLs."""
    section = markdown.section("rest-api.md", "Pagination")
    [code] = [block for block in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "urlpatterns" in block]
    module = types.ModuleType("readme_pagination_urls")
    exec(compile(code, str(markdown.page("rest-api.md")), "exec"), module.__dict__)  # noqa: S102 - the docs' own code
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    yield
    del sys.modules[module.__name__]


def test_the_readmes_views_with_their_own_pagination(make_client, readme_urls, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PageNumber}
    client = make_client(customer_id="cus_1")
    add(4)
    assert client.get("/api/invoices/?limit=3").json()["count"] == 4
    assert len(client.get("/api/subscriptions/").json()) == 4
