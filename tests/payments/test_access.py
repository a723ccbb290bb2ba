from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import timezone

from django_stripe import payments
from django_stripe.signals import customer_subscriptions_changed
from django_stripe.testing.factories import (
    ActiveEntitlementFactory,
    PricePayloadFactory,
    SubscriptionFactory,
)
from tests.billables import billable_of, user_model_only

pytestmark = pytest.mark.django_db

PRODUCT = "prod_gold"


@pytest.fixture(autouse=True)
def default_product(settings):
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT
    settings.STRIPE_FREE_ACCESS_PRICE_ID = "price_free"


def subscribe(customer_id, status="active", product=PRODUCT, **payload):
    price = PricePayloadFactory(product=product)
    return SubscriptionFactory(
        payload__customer=customer_id,
        payload__status=status,
        payload__price=price,
        **{f"payload__{key}": value for key, value in payload.items()},
    )


def test_active_subscription_gives_access_in_one_query(make_user, django_assert_num_queries):
    user = make_user(stripe_customer_id="cus_1")
    subscription = subscribe("cus_1")
    with django_assert_num_queries(1):
        info = payments.is_subscribed_and_cancelled_time(billable_of(user))
    assert info["sub_id"] == subscription.id
    assert info["product_id"] == PRODUCT
    assert info["price_id"] == subscription.items.get().price_id
    assert info["current_period_end"] == int(subscription.current_period_end.timestamp())
    assert info["cancel_at"] is None
    assert info["evaluation"] is False
    with django_assert_num_queries(1):
        assert payments.is_subscribed(billable_of(user)) is True


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", True),
        ("trialing", True),
        ("past_due", False),
        ("canceled", False),
        ("incomplete", False),
        ("incomplete_expired", False),
        ("unpaid", False),
        ("paused", False),
    ],
)
def test_access_statuses(make_user, status, expected):
    user = make_user(stripe_customer_id="cus_1")
    subscribe("cus_1", status=status)
    assert payments.is_subscribed(billable_of(user)) is expected


def test_access_statuses_come_from_settings(make_user, settings):
    user = make_user(stripe_customer_id="cus_1")
    subscribe("cus_1", status="past_due")
    settings.STRIPE_ACCESS_STATUSES = ["active", "trialing", "past_due"]
    assert payments.is_subscribed(billable_of(user)) is True


def test_other_product_or_other_customer_gives_no_access(make_user):
    user = make_user(stripe_customer_id="cus_1")
    subscribe("cus_1", product="prod_silver")
    subscribe("cus_2")
    assert payments.is_subscribed(billable_of(user)) is False
    assert payments.is_subscribed(billable_of(user), "prod_silver") is True


def test_deleted_subscription_gives_no_access(make_user):
    user = make_user(stripe_customer_id="cus_1")
    subscribe("cus_1").__class__.objects.update(deleted=True)
    assert payments.is_subscribed(billable_of(user)) is False


def test_cancel_at_period_end_reports_the_end(make_user):
    user = make_user(stripe_customer_id="cus_1")
    subscription = subscribe("cus_1", cancel_at_period_end=True)
    info = payments.is_subscribed_and_cancelled_time(billable_of(user))
    assert info["sub_id"] == subscription.id
    assert info["cancel_at"] == int(subscription.current_period_end.timestamp())


def test_no_customer_or_anonymous_needs_no_query(make_user, django_assert_num_queries):
    user = make_user()
    with django_assert_num_queries(0):
        assert payments.is_subscribed(billable_of(user)) is False
        assert payments.is_subscribed(AnonymousUser()) is False
        assert payments.is_subscribed(None) is False


@user_model_only(reason="free access is the user's allowed_access_until; the example's Team has no such field")
def test_free_access_needs_no_query(make_user, django_assert_num_queries):
    user = make_user(stripe_customer_id="cus_1", allowed_access_until=timezone.now() + timedelta(days=1))
    with django_assert_num_queries(0):
        info = payments.is_subscribed_and_cancelled_time(billable_of(user))
    assert info["sub_id"] == payments.FREE
    assert info["price_id"] == "price_free"
    assert info["evaluation"] is True


def test_expired_free_access_falls_back_to_subscriptions(make_user):
    user = make_user(stripe_customer_id="cus_1", allowed_access_until=timezone.now() - timedelta(seconds=1))
    assert payments.is_subscribed(billable_of(user)) is False


def test_cache_hit_needs_no_query_and_sync_clears_it(make_user, django_assert_num_queries, settings):
    settings.STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS = 3600
    user = make_user(stripe_customer_id="cus_1")
    with django_assert_num_queries(1):
        assert payments.is_subscribed_with_cache(billable_of(user)) is False
    subscribe("cus_1")
    with django_assert_num_queries(0):
        assert payments.is_subscribed_with_cache(billable_of(user)) is False  # cached until the sync says otherwise
    customer_subscriptions_changed.send(sender=None, customer_id="cus_1")
    with django_assert_num_queries(1):
        assert payments.is_subscribed_with_cache(billable_of(user)) is True


def test_has_entitlement(make_user):
    user = make_user(stripe_customer_id="cus_1")
    ActiveEntitlementFactory(payload__lookup_key="api-access", customer_id="cus_1")
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_2")
    assert payments.has_entitlement(billable_of(user), "api-access") is True
    assert payments.has_entitlement(billable_of(user), "exports") is False


def test_subscription_required_decorator(make_user):
    @payments.subscription_required
    def view(request):
        return "ok"

    request = RequestFactory().get("/reports/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = make_user(stripe_customer_id="cus_1")
    with pytest.raises(PermissionDenied):
        view(request)
    subscribe("cus_1")
    customer_subscriptions_changed.send(sender=None, customer_id="cus_1")
    assert view(request) == "ok"


def test_subscription_required_can_redirect(make_user):
    @payments.subscription_required(redirect_to="/pricing/")
    def view(request):
        return "ok"

    request = RequestFactory().get("/reports/")
    request.user = make_user(stripe_customer_id="cus_1")
    response = view(request)
    assert (response.status_code, response.url) == (302, "/pricing/")
