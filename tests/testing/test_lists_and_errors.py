import pytest
import stripe
from django.test import override_settings

from django_stripe.client import get_client


@pytest.fixture
def products(client):
    return [client.v1.products.create({"name": f"P{n}"}) for n in range(25)]


def test_pagination(client, products):
    newest_first = [p.id for p in reversed(products)]
    page = client.v1.products.list({"limit": 10})
    assert [p.id for p in page.data] == newest_first[:10] and page.has_more and page.url == "/v1/products"
    page = client.v1.products.list({"limit": 10, "starting_after": page.data[-1].id})
    assert [p.id for p in page.data] == newest_first[10:20] and page.has_more
    last = client.v1.products.list({"limit": 10, "starting_after": page.data[-1].id})
    assert [p.id for p in last.data] == newest_first[20:] and not last.has_more
    before = client.v1.products.list({"limit": 5, "ending_before": page.data[0].id})
    assert [p.id for p in before.data] == newest_first[5:10] and before.has_more
    assert [p.id for p in client.v1.products.list({"limit": 3}).auto_paging_iter()] == newest_first
    assert [p.id for p in client.v1.products.list({"limit": 100}).data] == newest_first


def test_auto_paging_backwards(client, products):
    newest_first = [p.id for p in reversed(products)]
    page = client.v1.products.list({"limit": 4, "ending_before": newest_first[12]})
    assert [p.id for p in page.auto_paging_iter()] == list(reversed(newest_first[:12]))


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range(client, limit):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.list({"limit": limit})
    assert error.value.http_status == 400 and error.value.param == "limit"


def test_unknown_cursor(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.list({"starting_after": "prod_missing"})
    assert error.value.code == "resource_missing"


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_unknown_cursor_in_a_nested_list(client, customer, price, cursor):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.invoices.line_items.list(subscription.latest_invoice, {cursor: "il_missing"})
    assert error.value.http_status == 404 and error.value.code == "resource_missing" and error.value.param == cursor
    assert "No such line item: 'il_missing'" in error.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscription_items.list({"subscription": subscription.id, cursor: "si_missing"})
    assert error.value.code == "resource_missing" and "subscription item" in error.value.user_message
    item = subscription["items"].data[0]
    assert client.v1.subscription_items.list({"subscription": subscription.id, cursor: item.id}).data == []


def test_errors(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.customers.retrieve("cus_missing")
    assert error.value.http_status == 404 and error.value.code == "resource_missing" and error.value.param == "id"
    assert "No such customer: 'cus_missing'" in error.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.create({})
    assert error.value.http_status == 400 and error.value.code == "parameter_missing" and error.value.param == "name"

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.prices.create({"product_data": {"name": "x"}, "currency": "usd", "unit_amount": "lots"})
    assert error.value.code == "parameter_invalid_integer"

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create({"customer": "cus_missing", "items": [{"price": "price_x"}]})
    assert error.value.code == "resource_missing" and error.value.param == "customer"

    with pytest.raises(stripe.CardError) as error:
        client.v1.setup_intents.create({"payment_method": "pm_card_chargeDeclined", "confirm": True})
    assert error.value.http_status == 402 and error.value.code == "card_declined"
    assert error.value.error.decline_code == "generic_decline"


@pytest.mark.parametrize("key", ["sk_live_123", "pk_test_123", "nonsense"])
def test_wrong_key_is_401(fake, settings, key):
    settings.STRIPE_SECRET_KEY = key
    with pytest.raises(stripe.AuthenticationError) as error:
        get_client().v1.customers.list()
    assert error.value.http_status == 401


def test_missing_key_is_401(fake):
    status, _, body = fake.handle("GET", "/v1/customers", {}, None)
    assert status == 401 and "did not provide an API key" in body


def test_unknown_url(fake):
    status, _, body = fake.handle("GET", "/v1/nothing", {"Authorization": "Bearer sk_test_x"}, None)
    assert status == 404 and "Unrecognized request URL" in body


def test_idempotent_requests_replay(client, fake):
    first = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "key-1"})
    again = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "key-1"})
    assert first.id == again.id and len(client.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": "key-1"})


def test_fault_injection_rate_limit(client, fake):
    fake.fail_next(1, status=429)
    with pytest.raises(stripe.RateLimitError) as error:
        client.v1.customers.list()
    assert error.value.http_status == 429 and error.value.json_body["error"]["code"] == "rate_limit"
    assert client.v1.customers.list().data == []


def test_fault_injection_server_error_is_retried(fake, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    fake.fail_next(1, status=500)
    customer = get_client().v1.customers.create({"email": "a@example.com"})
    assert customer.email == "a@example.com"  # the SDK retried with the same idempotency key
    with override_settings(STRIPE_MAX_NETWORK_RETRIES=0):
        fake.fail_next(1, status=500)
        with pytest.raises(stripe.APIError) as error:
            get_client().v1.customers.list()
        assert error.value.http_status == 500


def test_fault_injection_delay(client, fake):
    import time

    fake.fail_next(1, status=None, delay=0.2)
    started = time.monotonic()
    assert client.v1.customers.list().data == []
    assert time.monotonic() - started >= 0.2


def test_plain_stripe_client_without_django(fake):
    from django.conf import settings

    client = stripe.StripeClient(
        "sk_test_plain",
        http_client=settings.STRIPE_HTTP_CLIENT,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=0,
    )
    product = client.v1.products.create({"name": "Plain"})
    assert client.v1.products.retrieve(product.id).name == "Plain"
