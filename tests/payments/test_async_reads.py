"""The async reads under a real ASGI server (uvicorn): each answers what its sync twin answers, for the user of
the request, with the same cache and its invalidation."""

import json
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from django_stripe import payments
from django_stripe.models import Subscription
from django_stripe.payments import async_reads
from django_stripe.signals import customer_subscriptions_changed
from django_stripe.testing.factories import (
    ActiveEntitlementFactory,
    InvoiceFactory,
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    SubscriptionFactory,
)
from tests.billables import user_model_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    user_model_only(
        reason=(
            "the async reads are the sync ones run on a thread (tested in the team pass); "
            "these read request.user's own customer"
        )
    ),
]

PRODUCT = "prod_async"


@pytest.fixture
def server(asgi_live_server, settings):
    settings.ROOT_URLCONF = "tests.payments.async_views"
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT
    return asgi_live_server


def reads_over_http(server, user, **query) -> dict:
    """GET the async view as `user` (logged in with a session, as a browser is), or anonymously."""
    request = urllib.request.Request(f"{server.url}/async-reads/?{urllib.parse.urlencode(query)}")
    if user is not None:
        client = Client()
        client.force_login(user)
        request.add_header("Cookie", f"sessionid={client.cookies['sessionid'].value}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def sync_reads(user, product=None, feature="") -> dict:
    return {
        "is_subscribed": payments.is_subscribed(user, product),
        "is_subscribed_with_cache": payments.is_subscribed_with_cache(user, product),
        "sub_id": payments.is_subscribed_and_cancelled_time(user, product)["sub_id"],
        "has_entitlement": payments.has_entitlement(user, feature),
        "subscriptions": [payload["id"] for payload in payments.subscription_payloads(user, "all")],
        "invoices": [payload["id"] for payload in payments.invoice_payloads(user)],
        "payment_methods": [payload["id"] for payload in payments.payment_method_payloads(user)],
        "products": [payload["id"] for payload in payments.get_products(user)],
        "prices": [payload["id"] for payload in payments.get_prices(user)],
    }


@pytest.fixture
def subscriber(make_user):
    product = ProductFactory(payload__id=PRODUCT)
    price = PriceFactory(payload__product=product.id)
    subscription = SubscriptionFactory(
        payload__customer="cus_async",
        payload__status="active",
        payload__price=PricePayloadFactory(id=price.id, product=PRODUCT),
    )
    InvoiceFactory(payload__customer="cus_async", payload__subscription=subscription.id)
    ActiveEntitlementFactory(payload__lookup_key="reports", customer_id="cus_async")
    return make_user("subscriber", stripe_customer_id="cus_async")


def test_every_async_read_answers_what_its_sync_twin_answers(server, subscriber):
    answered = reads_over_http(server, subscriber, feature="reports")
    assert answered == sync_reads(subscriber, feature="reports")
    assert answered["is_subscribed"] and answered["has_entitlement"] and answered["sub_id"]
    assert len(answered["subscriptions"]) == len(answered["invoices"]) == 1


def test_the_cached_answer_is_dropped_when_the_subscriptions_change(server, subscriber):
    assert reads_over_http(server, subscriber)["is_subscribed_with_cache"] is True
    Subscription.objects.filter(customer_id="cus_async").update(status="canceled")
    assert reads_over_http(server, subscriber)["is_subscribed_with_cache"] is True  # cached, as the sync read's
    customer_subscriptions_changed.send(sender=None, customer_id="cus_async")
    assert reads_over_http(server, subscriber)["is_subscribed_with_cache"] is False


@pytest.mark.django_db(transaction=False)
def test_an_async_read_sees_the_callers_transaction_and_runs_off_the_loop(subscriber, settings):
    # The rows exist only in this test's open transaction: the request's thread (thread_sensitive), here the test's
    # own, sees them. And no SynchronousOnlyOperation: the query did not run on the event loop async_to_sync runs.
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT
    assert async_to_sync(async_reads.ais_subscribed)(subscriber) is True
    assert async_to_sync(async_reads.ahas_entitlement)(subscriber, "exports") is False


def test_the_async_reads_are_public_names_of_payments():
    for name in ("ais_subscribed", "ais_subscribed_with_cache", "ahas_entitlement", "asubscription_payloads"):
        assert getattr(payments, name) is getattr(async_reads, name)
