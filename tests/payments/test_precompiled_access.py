"""The precompiled access checks answer exactly what the ORM querysets they are compiled from answer."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from django_stripe import payments
from django_stripe.models import ActiveEntitlement, Subscription, SubscriptionItem
from django_stripe.payments.access import access_items
from django_stripe.payments.precompiled import Precompiled
from django_stripe.testing.factories import ActiveEntitlementFactory, PricePayloadFactory, SubscriptionFactory
from tests.billables import billable_of, user_model_only

pytestmark = pytest.mark.django_db

STATUSES = ["active", "trialing", "past_due", "canceled", "incomplete", "unpaid"]
KEYS = [None, "sk_test_x", "sk_live_x", "rk_live_x"]
RULES = [("active", "trialing"), ["active", "trialing", "past_due"], ("past_due",)]


@pytest.fixture
def mirror():
    """A customer per (status, livemode, deleted subscription, deleted item), each subscribed to prod_a; their
    users (unsaved: the checks read only their customer id)."""
    users = []
    for number, (status, livemode, sub_deleted, item_deleted) in enumerate(
        itertools.product(STATUSES, [False, True], [False, True], [False, True])
    ):
        customer_id = f"cus_{number:03d}"
        subscription = SubscriptionFactory(
            payload__customer=customer_id,
            payload__status=status,
            payload__livemode=livemode,
            payload__price=PricePayloadFactory(product="prod_a"),
            deleted=sub_deleted,
        )
        SubscriptionItem.objects.filter(subscription=subscription).update(deleted=item_deleted)
        users.append(get_user_model()(username=f"user{number}", stripe_customer_id=customer_id))
    users.append(get_user_model()(username="nobody", stripe_customer_id="cus_none"))
    return users


@user_model_only(reason="unsaved users holding customer ids: on the team model a user's customer is their team's")
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("statuses", RULES)
def test_is_subscribed_answers_as_the_access_queryset(mirror, settings, key, statuses):
    settings.STRIPE_SECRET_KEY = key
    settings.STRIPE_ACCESS_STATUSES = statuses
    settings.STRIPE_ACCESS_ANY_PRODUCT = True  # product None: the check for any product, the project's choice
    granted = 0
    for user, product in itertools.product(mirror, ["prod_a", "prod_b", None]):
        expected = access_items(billable_of(user).stripe_customer_id, product).exists()
        assert payments.is_subscribed(billable_of(user), product) is expected, (
            billable_of(user).stripe_customer_id,
            product,
        )
        granted += expected
    assert granted  # the data set holds both answers


def test_no_access_status_answers_no_without_a_query(make_user, settings, django_assert_num_queries):
    """As the ORM does for `status__in=[]`: nothing can match, so nothing is asked."""
    user = make_user(stripe_customer_id="cus_1")
    SubscriptionFactory(payload__customer="cus_1", payload__price=PricePayloadFactory(product="prod_a"))
    settings.STRIPE_ACCESS_STATUSES = []
    with django_assert_num_queries(0):
        assert payments.is_subscribed(billable_of(user), "prod_a") is False


@pytest.mark.parametrize("key", KEYS)
def test_has_entitlement_answers_as_the_live_queryset(make_user, settings, key):
    settings.STRIPE_SECRET_KEY = key
    user = make_user(stripe_customer_id="cus_1")
    ActiveEntitlementFactory(payload__lookup_key="test-only", customer_id="cus_1", livemode=False)
    ActiveEntitlementFactory(payload__lookup_key="live-only", customer_id="cus_1", livemode=True)
    ActiveEntitlementFactory(payload__lookup_key="revoked", customer_id="cus_1", deleted=True)
    ActiveEntitlementFactory(payload__lookup_key="others", customer_id="cus_2")
    for lookup_key in ("test-only", "live-only", "revoked", "others", "missing"):
        expected = ActiveEntitlement.objects.live().filter(customer_id="cus_1", lookup_key=lookup_key).exists()
        assert payments.has_entitlement(billable_of(user), lookup_key) is expected, lookup_key


def test_one_query_each_and_seen_by_the_query_log(make_user, django_assert_num_queries):
    user = make_user(stripe_customer_id="cus_1")
    with django_assert_num_queries(1):
        payments.is_subscribed(billable_of(user), "prod_a")
    with django_assert_num_queries(1):
        payments.has_entitlement(billable_of(user), "exports")


@pytest.mark.django_db(transaction=True)
def test_checks_survive_a_closed_connection(make_user):
    """The cursor kept between checks belongs to a connection: a new connection gets a new cursor."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("closing an in-memory SQLite database would drop it")
    user = make_user(stripe_customer_id="cus_1")
    SubscriptionFactory(payload__customer="cus_1", payload__price=PricePayloadFactory(product="prod_a"))
    assert payments.is_subscribed(billable_of(user), "prod_a") is True
    connection.close()
    assert payments.is_subscribed(billable_of(user), "prod_a") is True


def test_a_value_that_is_not_an_exact_parameter_is_refused():
    """`contains` turns the value into a pattern: it could not be put in its place in the compiled SQL."""
    check = Precompiled(Subscription, lambda variant, status: Subscription.objects.filter(status__contains=status))
    with pytest.raises(ValueError, match="unchanged query parameter"):
        check.exists(None, "cus_1")
