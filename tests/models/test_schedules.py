"""`Subscription.scheduled_change()`: the next phase of the subscription's active schedule, in one query, or
none for a list that read them all at once (`prefetch_scheduled_changes`, `scheduled_changes`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from django_stripe.models import Subscription, SubscriptionSchedule, prefetch_scheduled_changes, scheduled_changes
from django_stripe.sync.upsert import tombstone, upsert
from django_stripe.testing.factories import SubscriptionFactory
from tests.schedules import PERIOD_END, PERIOD_START, schedule

pytestmark = pytest.mark.django_db

STAMP = datetime(2026, 1, 2, tzinfo=UTC)


def subscriptions(count: int) -> list[str]:
    return [SubscriptionFactory(payload__id=f"sub_{n}").id for n in range(count)]


def scheduled(subscription_id: str, **fields) -> None:
    upsert(
        SubscriptionSchedule, schedule(f"sub_sched_{subscription_id}", subscription=subscription_id, **fields), STAMP
    )


def test_the_change_costs_one_query(django_assert_num_queries):
    [subscription_id] = subscriptions(1)
    scheduled(subscription_id)
    row = Subscription.objects.get(pk=subscription_id)

    with django_assert_num_queries(1):
        change = row.scheduled_change()

    assert change == {"price": "price_starter", "quantity": 1, "at": datetime.fromtimestamp(PERIOD_END, tz=UTC)}


def test_a_list_reads_every_change_in_one_query_and_then_none(django_assert_num_queries):
    ids = subscriptions(3)
    scheduled(ids[0])
    scheduled(ids[2], status="canceled")
    rows = list(Subscription.objects.filter(pk__in=ids).order_by("pk"))

    with django_assert_num_queries(1):
        prefetch_scheduled_changes(rows)
    with django_assert_num_queries(0):
        changes = [row.scheduled_change() for row in rows]

    assert [change and change["price"] for change in changes] == ["price_starter", None, None]


def test_scheduled_changes_by_id_for_the_rest_lists(django_assert_num_queries):
    ids = subscriptions(2)
    scheduled(ids[1])
    with django_assert_num_queries(0):
        assert scheduled_changes([]) == {}
    with django_assert_num_queries(1):
        assert list(scheduled_changes(ids)) == [ids[1]]


@pytest.mark.parametrize("status", ["not_started", "released", "canceled", "completed"])
def test_only_an_active_schedule_schedules_a_change(status):
    [subscription_id] = subscriptions(1)
    scheduled(subscription_id, status=status, current=None if status == "not_started" else (PERIOD_START, PERIOD_END))
    assert Subscription.objects.get(pk=subscription_id).scheduled_change() is None


def test_a_schedule_on_its_last_phase_schedules_nothing():
    [subscription_id] = subscriptions(1)
    scheduled(subscription_id, current=(PERIOD_END, PERIOD_END + 28 * 24 * 3600))  # the Starter phase runs
    assert Subscription.objects.get(pk=subscription_id).scheduled_change() is None


def test_a_tombstoned_schedule_schedules_nothing():
    [subscription_id] = subscriptions(1)
    scheduled(subscription_id)
    tombstone(SubscriptionSchedule, f"sub_sched_{subscription_id}", STAMP)
    assert Subscription.objects.get(pk=subscription_id).scheduled_change() is None


def test_a_subscription_without_schedule_and_its_paused_flag():
    row = SubscriptionFactory(payload__pause_collection={"behavior": "keep_as_draft", "resumes_at": None})
    assert (row.schedule_id, row.pause_collection_behavior, row.paused) == (None, "keep_as_draft", True)
    assert row.scheduled_change() is None
