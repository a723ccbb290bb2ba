"""Subscription schedules and paused collection, mirrored from real signed webhooks over HTTP: every
`subscription_schedule.*` event upserts the schedule and replaces its phases, in whatever order the events come."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from django_stripe.models import Subscription, SubscriptionSchedule, SubscriptionSchedulePhase, WebhookEvent
from django_stripe.testing.factories import PricePayloadFactory, SubscriptionPayloadFactory
from tests.schedules import DAY, PERIOD_END, PERIOD_START, phase, schedule

from .conftest import Deliverer, event

pytestmark = pytest.mark.django_db(transaction=True)

SCHEDULE_EVENTS = ["created", "updated", "released", "canceled", "completed", "aborted", "expiring"]


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def subscription(**fields):
    price = PricePayloadFactory(id="price_pro", unit_amount=5000)
    return SubscriptionPayloadFactory(
        id="sub_1", customer="cus_1", price=price, period_start=PERIOD_START, period_end=PERIOD_END, **fields
    )


def send(deliver: Deliverer, event_type: str, obj: dict, created: int) -> None:
    assert deliver.send(event(event_type, obj, created=created)).status == 200


def phases_of(schedule_id: str) -> list[tuple[int, datetime, datetime | None, list]]:
    rows = SubscriptionSchedulePhase.objects.filter(schedule_id=schedule_id).order_by("position")
    return list(rows.values_list("position", "start_date", "end_date", "items"))


def test_a_schedule_and_its_phases_are_mirrored_and_the_subscription_shows_the_change(deliver):
    send(deliver, "customer.subscription.updated", subscription(schedule="sub_sched_1"), PERIOD_START + 60)
    send(deliver, "subscription_schedule.created", schedule(), PERIOD_START + 60)

    row = SubscriptionSchedule.objects.get()
    assert (row.id, row.customer_id, row.subscription_id, row.status, row.end_behavior) == (
        "sub_sched_1",
        "cus_1",
        "sub_1",
        "active",
        "release",
    )
    assert (row.current_phase_start, row.current_phase_end) == (at(PERIOD_START), at(PERIOD_END))
    assert phases_of("sub_sched_1") == [
        (0, at(PERIOD_START), at(PERIOD_END), [{"price": "price_pro", "quantity": 1}]),
        (1, at(PERIOD_END), at(PERIOD_END + 28 * DAY), [{"price": "price_starter", "quantity": 1}]),
    ]
    mirrored = Subscription.objects.get()
    assert mirrored.schedule_id == "sub_sched_1"
    assert mirrored.scheduled_change() == {"price": "price_starter", "quantity": 1, "at": at(PERIOD_END)}
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.parametrize("what", SCHEDULE_EVENTS)
def test_every_schedule_event_upserts_the_schedule(deliver, what):
    status = {"released": "released", "canceled": "canceled", "completed": "completed"}.get(what, "active")
    send(deliver, f"subscription_schedule.{what}", schedule(status=status), PERIOD_START + 60)

    row = SubscriptionSchedule.objects.get()
    assert (row.status, row.subscription_id, row.deleted) == (status, "sub_1", False)
    assert len(phases_of(row.id)) == 2
    assert WebhookEvent.objects.get().status == "processed"


def schedule_history() -> list[tuple[str, dict, int]]:
    """A downgrade scheduled, changed to fewer seats, then released by the customer: three states, in order."""
    seats = [
        phase(PERIOD_START, PERIOD_END, ("price_pro", 5)),
        phase(PERIOD_END, PERIOD_END + 28 * DAY, ("price_pro", 2)),
    ]
    return [
        ("subscription_schedule.created", schedule(), PERIOD_START + 60),
        ("subscription_schedule.updated", schedule(phases=seats), PERIOD_START + 120),
        ("subscription_schedule.released", schedule(status="released", phases=seats[:1]), PERIOD_START + 180),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_an_older_state_never_overwrites_a_newer_one(deliver, seed):
    history = schedule_history()
    order = list(reversed(history)) if seed == 0 else random.Random(seed).sample(history, len(history))
    for event_type, obj, created in order:
        send(deliver, event_type, obj, created)

    row = SubscriptionSchedule.objects.get()
    assert (row.status, row.subscription_id, row.synced_at) == ("released", "sub_1", at(PERIOD_START + 180))
    # The phases are the released state's, whatever came after it.
    assert phases_of(row.id) == [(0, at(PERIOD_START), at(PERIOD_END), [{"price": "price_pro", "quantity": 5}])]
    stale = WebhookEvent.objects.filter(type="subscription_schedule.created").get()
    assert stale.status == "processed"


def test_phases_are_replaced_as_a_set(deliver):
    three = [
        phase(PERIOD_START, PERIOD_END, ("price_pro", 1)),
        phase(PERIOD_END, PERIOD_END + 28 * DAY, ("price_team", 3), ("price_addon", 1)),
        phase(PERIOD_END + 28 * DAY, PERIOD_END + 59 * DAY, ("price_starter", None)),
    ]
    send(deliver, "subscription_schedule.created", schedule(phases=three), PERIOD_START + 60)
    assert [position for position, *_ in phases_of("sub_sched_1")] == [0, 1, 2]
    assert phases_of("sub_sched_1")[1][3] == [
        {"price": "price_team", "quantity": 3},
        {"price": "price_addon", "quantity": 1},
    ]
    assert phases_of("sub_sched_1")[2][3] == [{"price": "price_starter", "quantity": None}]  # a metered price

    send(deliver, "subscription_schedule.updated", schedule(phases=three[:1]), PERIOD_START + 120)

    assert phases_of("sub_sched_1") == [(0, at(PERIOD_START), at(PERIOD_END), [{"price": "price_pro", "quantity": 1}])]


def test_a_released_schedule_keeps_its_subscription_and_schedules_nothing(deliver):
    send(deliver, "customer.subscription.updated", subscription(schedule="sub_sched_1"), PERIOD_START + 60)
    send(deliver, "subscription_schedule.created", schedule(), PERIOD_START + 60)
    assert Subscription.objects.get().scheduled_change() is not None

    # The schedule's release arrives before the subscription's update that clears its `schedule`.
    send(deliver, "subscription_schedule.released", schedule(status="released"), PERIOD_START + 120)
    assert Subscription.objects.get().scheduled_change() is None
    assert SubscriptionSchedule.objects.get().subscription_id == "sub_1"  # from `released_subscription`

    send(deliver, "customer.subscription.updated", subscription(schedule=None), PERIOD_START + 120)
    assert Subscription.objects.get().schedule_id is None


def test_a_change_at_the_end_of_a_later_phase_is_not_the_next_one(deliver):
    """After the current phase ends, the schedule's current phase moves: the change is the phase after it."""
    phases = [
        phase(PERIOD_START, PERIOD_END, ("price_pro", 1)),
        phase(PERIOD_END, PERIOD_END + 28 * DAY, ("price_team", 1)),
        phase(PERIOD_END + 28 * DAY, PERIOD_END + 59 * DAY, ("price_starter", 1)),
    ]
    send(deliver, "customer.subscription.updated", subscription(schedule="sub_sched_1"), PERIOD_START + 60)
    moved = schedule(phases=phases, current=(PERIOD_END, PERIOD_END + 28 * DAY))
    send(deliver, "subscription_schedule.updated", moved, PERIOD_END + 1)

    assert Subscription.objects.get().scheduled_change() == {
        "price": "price_starter",
        "quantity": 1,
        "at": at(PERIOD_END + 28 * DAY),
    }


def test_paused_collection_is_mirrored_and_resumed(deliver):
    paused = subscription(pause_collection={"behavior": "void", "resumes_at": None})
    send(deliver, "customer.subscription.updated", paused, PERIOD_START + 60)
    row = Subscription.objects.get()
    assert (row.status, row.pause_collection_behavior, row.paused) == ("active", "void", True)

    send(deliver, "customer.subscription.updated", subscription(pause_collection=None), PERIOD_START + 120)
    row = Subscription.objects.get()
    assert (row.pause_collection_behavior, row.paused) == (None, False)

    # A late copy of the paused state changes nothing.
    send(deliver, "customer.subscription.updated", paused, PERIOD_START + 90)
    assert Subscription.objects.get().pause_collection_behavior is None
