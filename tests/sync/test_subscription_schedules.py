"""Subscription schedules through the backfill, the drift check, the catch-up and the same-second tie, against
the fake over real HTTP. The schedules are put in the fake's store as Stripe holds them, so each
test chooses their states exactly (tests/webhooks/test_schedules_at_the_fake.py has the fake run them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_stripe import models
from django_stripe.payments import mirror_stripe_object
from django_stripe.sync.backfill import OBJECT_TYPES, backfill
from django_stripe.sync.upsert import Outcome, upsert
from django_stripe.webhooks.catchup import catch_up
from tests.schedules import DAY, PERIOD_END, PERIOD_START, phase, schedule

from .seeding import seed

pytestmark = pytest.mark.django_db


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def put(fake, payload: dict) -> dict:
    """Keep `payload` at the fake as its current state of the schedule (a new one, or a new version)."""
    with fake.locked():
        if fake.store.get(payload["id"]) is None:
            fake.store.add(payload, owner=payload["customer"])
        else:
            fake.store.replace(payload)
    return payload


def schedules_at(fake, count: int) -> list[dict]:
    """`count` subscribers at the fake, each with a schedule downgrading them at the period's end."""
    ids = seed(fake, products=1, customers=count, subscribers=count)
    subscriptions = fake.store.newest_first("subscription")
    return [
        put(fake, schedule(f"sub_sched_{n}", subscription=sub["id"], customer=sub["customer"]))
        for n, sub in enumerate(subscriptions)
    ] or pytest.fail(f"no subscriptions seeded: {ids}")


def mirrored_phases(schedule_id: str) -> list[tuple]:
    rows = models.SubscriptionSchedulePhase.objects.filter(schedule_id=schedule_id).order_by("position")
    return list(rows.values_list("position", "start_date", "end_date", "items"))


def test_schedules_come_after_subscriptions_in_the_backfill():
    names = list(OBJECT_TYPES)
    assert names.index("subscription_schedules") == names.index("subscriptions") + 1
    assert OBJECT_TYPES["subscription_schedules"].absence_deletes is False


def test_the_backfill_mirrors_schedules_and_phases_and_absence_deletes_nothing(stripe_fake_server):
    fake = stripe_fake_server
    payloads = schedules_at(fake, 3)

    _, result = backfill(["subscriptions", "subscription_schedules"])

    assert (result.fetched, result.counts.created, result.completed) == (3, 3, True)
    rows = models.SubscriptionSchedule.objects.in_bulk()
    for payload in payloads:
        row = rows[payload["id"]]
        assert (row.subscription_id, row.customer_id, row.status) == (
            payload["subscription"],
            payload["customer"],
            "active",
        )
        assert json.loads(json.dumps(row.stripe_data)) == payload
        assert [position for position, *_ in mirrored_phases(row.id)] == [0, 1]
    sub = models.Subscription.objects.get(pk=payloads[0]["subscription"])
    assert sub.scheduled_change() == {"price": "price_starter", "quantity": 1, "at": at(PERIOD_END)}

    # The customer changed the seats of the next phase; another schedule was released; one is no longer listed.
    fake.advance_clock(1)
    seats = [phase(PERIOD_START, PERIOD_END, ("price_pro", 1)), phase(PERIOD_END, None, ("price_pro", 4))]
    first, second, third = payloads
    put(fake, {**first, "phases": seats})
    put(
        fake,
        schedule(second["id"], subscription=second["subscription"], customer=second["customer"], status="released"),
    )
    with fake.locked():
        fake.store.remove(third["id"])

    [result] = backfill(["subscription_schedules"])

    assert (result.fetched, result.counts.updated, result.tombstoned) == (2, 2, 0)
    assert mirrored_phases(first["id"]) == [
        (0, at(PERIOD_START), at(PERIOD_END), [{"price": "price_pro", "quantity": 1}]),
        (1, at(PERIOD_END), None, [{"price": "price_pro", "quantity": 4}]),
    ]
    assert models.SubscriptionSchedule.objects.get(pk=second["id"]).status == "released"
    assert models.Subscription.objects.get(pk=second["subscription"]).scheduled_change() is None
    assert models.SubscriptionSchedule.objects.get(pk=third["id"]).deleted is False  # absence: no tombstone


def drift(*types: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("stripe_sync", "--check", *types, "--no-progress", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_drift_check_compares_schedules(stripe_fake_server):
    fake = stripe_fake_server
    payloads = schedules_at(fake, 2)
    backfill(["subscription_schedules"])
    assert drift("subscription_schedules")[0] == 0

    fake.advance_clock(1)
    put(fake, {**payloads[0], "end_behavior": "cancel"})  # no webhook reaches the mirror

    code, out = drift("subscription_schedules")
    assert code == 1
    assert f"subscription_schedules {payloads[0]['id']}: end_behavior: mirror 'release', Stripe 'cancel'" in out


def test_two_states_of_the_same_second_are_settled_by_reading_stripe(stripe_fake_server):
    fake = stripe_fake_server
    [payload] = schedules_at(fake, 1)
    second = datetime(2026, 1, 2, tzinfo=UTC)
    assert upsert(models.SubscriptionSchedule, {**payload, "phases": payload["phases"][:1]}, second) is Outcome.CREATED

    # Another state of that second arrives: neither is guessed, the schedule is read from Stripe (the fake's).
    assert upsert(models.SubscriptionSchedule, {**payload, "end_behavior": "cancel"}, second) is Outcome.UPDATED

    row = models.SubscriptionSchedule.objects.get()
    assert (row.end_behavior, len(mirrored_phases(row.id))) == ("release", 2)


def test_the_catch_up_brings_schedule_events_the_webhooks_missed(
    stripe_fake_server, django_capture_on_commit_callbacks
):
    fake = stripe_fake_server
    [payload] = schedules_at(fake, 1)
    released = schedule(
        payload["id"], subscription=payload["subscription"], customer=payload["customer"], status="released"
    )
    with fake.locked():
        fake.emit("subscription_schedule.created", payload)
    fake.advance_clock(1)
    with fake.locked():
        fake.emit("subscription_schedule.released", put(fake, released))

    with django_capture_on_commit_callbacks(execute=True):
        result = catch_up()

    assert result.stored >= 2
    events = models.WebhookEvent.objects.filter(type__startswith="subscription_schedule.")
    assert set(events.values_list("status", flat=True)) == {"processed"}
    row = models.SubscriptionSchedule.objects.get()
    assert (row.status, row.subscription_id) == ("released", payload["subscription"])
    assert len(mirrored_phases(row.id)) == 2


def test_a_subscription_page_maps_its_schedule_and_pause(stripe_fake_server):
    fake = stripe_fake_server
    [payload] = schedules_at(fake, 1)
    with fake.locked():
        subscription = fake.store.get(payload["subscription"])
        subscription["schedule"] = payload["id"]
        subscription["pause_collection"] = {"behavior": "keep_as_draft", "resumes_at": PERIOD_END + DAY}

    backfill(["subscriptions"])

    row = models.Subscription.objects.get(pk=payload["subscription"])
    assert (row.schedule_id, row.pause_collection_behavior, row.paused) == (payload["id"], "keep_as_draft", True)


def test_a_schedule_stripe_returns_to_a_write_is_mirrored_with_its_phases():
    """`payments.change_plan` writes the schedule Stripe answers through `mirror_stripe_object`, as any write."""
    payload = schedule(status="active")

    mirror_stripe_object(payload)

    row = models.SubscriptionSchedule.objects.get()
    assert (row.id, row.subscription_id, row.status) == (payload["id"], "sub_1", "active")
    assert len(mirrored_phases(row.id)) == 2
