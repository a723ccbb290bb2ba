"""`is_subscribed_with_cache`: no query once warm; the cached answer is dropped when the transaction that
changes the customer's subscriptions commits, not before; an answer read before that commit is never served
after it. Real transactions (the sync's on-commit signal only fires on a real commit)."""

import pytest
from django.db import transaction
from django.utils import timezone

from django_stripe import payments
from django_stripe.models import Subscription
from django_stripe.payments import access
from django_stripe.sync.upsert import upsert
from django_stripe.testing.factories import PricePayloadFactory, SubscriptionPayloadFactory
from tests.billables import billable_of

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCT = "prod_gold"


@pytest.fixture
def user(make_user, settings):
    settings.STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS = 3600
    return make_user(stripe_customer_id="cus_1")


def subscribe_through_the_sync(customer_id: str) -> None:
    payload = SubscriptionPayloadFactory(customer=customer_id, price=PricePayloadFactory(product=PRODUCT))
    upsert(Subscription, payload, timezone.now())


def cached(user) -> bool:
    return payments.is_subscribed_with_cache(billable_of(user), PRODUCT)


def test_a_warm_check_costs_no_query(user, django_assert_num_queries):
    subscribe_through_the_sync("cus_1")
    with django_assert_num_queries(1):
        assert cached(user) is True
    with django_assert_num_queries(0):
        assert cached(user) is True


def test_dropped_when_the_transaction_commits_not_before(user, django_assert_num_queries):
    assert cached(user) is False
    with transaction.atomic():
        subscribe_through_the_sync("cus_1")
        with django_assert_num_queries(0):
            # Not yet committed: another connection still reads no subscription, and the cache says the same.
            assert cached(user) is False
    with django_assert_num_queries(1):
        assert cached(user) is True
    with django_assert_num_queries(0):
        assert cached(user) is True


def test_a_rolled_back_change_leaves_the_cache_alone(user, django_assert_num_queries):
    assert cached(user) is False
    with pytest.raises(RuntimeError), transaction.atomic():
        subscribe_through_the_sync("cus_1")
        raise RuntimeError("the event failed")
    with django_assert_num_queries(0):
        assert cached(user) is False


def test_an_answer_read_before_the_commit_is_not_served_after_it(user, monkeypatch):
    """The race the stamp closes: a check reads the old rows, then the sync commits (and invalidates), and
    only then does the check store what it read."""
    read_the_rows = access.customer_has_access

    def check_overtaken_by_the_sync(customer_id, product_id):
        answer = read_the_rows(customer_id, product_id)
        subscribe_through_the_sync(customer_id)  # autocommit: committed, and the cache invalidated, right here
        return answer

    monkeypatch.setattr(access, "customer_has_access", check_overtaken_by_the_sync)
    assert cached(user) is False  # what that check read
    monkeypatch.undo()
    assert cached(user) is True  # not what it stored
