"""Subscription schedules over HTTP: made from a subscription, phases updated as django-stripe sends them (the
current phase, then the new items for one iteration), run by the clock at the renewal, released, canceled."""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
import stripe

from fake_stripe.clock import DAY

from .billing import Billing


def schedule_downgrade(b: Billing, subscription: stripe.Subscription, price: str, quantity: int = 1):
    schedule = b.client.v1.subscription_schedules.create({"from_subscription": subscription.id})
    phase = schedule.phases[0]
    return b.client.v1.subscription_schedules.update(
        schedule.id,
        {
            "end_behavior": "release",
            "proration_behavior": "none",
            "phases": [
                {
                    "items": [{"price": i.price, "quantity": i.quantity} for i in phase["items"]],
                    "start_date": phase.start_date,
                    "end_date": phase.end_date,
                },
                {"items": [{"price": price, "quantity": quantity}]},
            ],
        },
    )


def test_a_schedule_from_a_subscription_has_its_current_period_as_its_phase(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro, quantity=2)
    item = subscription["items"].data[0]
    schedule = b.client.v1.subscription_schedules.create({"from_subscription": subscription.id})
    assert (schedule.status, schedule.end_behavior, schedule.subscription) == ("active", "release", subscription.id)
    assert schedule.customer == subscription.customer
    (phase,) = schedule.phases
    assert (phase.start_date, phase.end_date) == (item.current_period_start, item.current_period_end)
    assert [(i.price, i.quantity) for i in phase["items"]] == [(b.pro, 2)]
    assert schedule.current_phase.end_date == item.current_period_end
    assert b.client.v1.subscriptions.retrieve(subscription.id).schedule == schedule.id
    assert b.types()[-2:] == ["subscription_schedule.created", "customer.subscription.updated"]
    assert b.client.v1.subscription_schedules.retrieve(schedule.id).id == schedule.id
    listed = b.client.v1.subscription_schedules.list({"customer": subscription.customer})
    assert [s.id for s in listed.data] == [schedule.id]
    assert b.client.v1.subscription_schedules.list({"customer": b.customer()}).data == []
    assert [s.id for s in b.client.v1.subscription_schedules.list({"scheduled": False}).data] == [schedule.id]
    assert b.client.v1.subscription_schedules.list({"scheduled": True}).data == []


def test_a_scheduled_downgrade_applies_at_the_renewal_billed_at_the_new_price(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro, quantity=2)
    period_end = subscription["items"].data[0].current_period_end
    schedule = schedule_downgrade(b, subscription, b.basic)
    assert [p.end_date for p in schedule.phases][0] == period_end
    assert schedule.phases[1].start_date == period_end and schedule.phases[1].end_date > period_end
    assert b.types()[-1] == "subscription_schedule.updated"
    now = b.client.v1.subscriptions.retrieve(subscription.id)
    assert [(i.price.id, i.quantity) for i in now["items"].data] == [(b.pro, 2)]  # nothing changes before the end

    events = len(b.fake.events)
    b.fake.advance_clock(period_end - b.fake.now() + 60)
    renewed = b.client.v1.subscriptions.retrieve(subscription.id)
    assert [(i.price.id, i.quantity) for i in renewed["items"].data] == [(b.basic, 1)]
    assert renewed["items"].data[0].current_period_start == period_end
    invoice = b.client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.billing_reason, invoice.amount_paid, invoice.status) == ("subscription_cycle", 1000, "paid")
    types = [e["type"] for e in b.fake.events[events:]]
    assert types[:3] == ["customer.subscription.updated", "subscription_schedule.updated", "invoice.created"]
    assert "invoice.paid" in types
    moved = b.client.v1.subscription_schedules.retrieve(schedule.id)
    assert (moved.status, moved.current_phase.start_date) == ("active", period_end)

    # The last phase ends at the next renewal: the schedule releases the subscription, which renews on its own.
    b.fake.advance_clock(renewed["items"].data[0].current_period_end - b.fake.now() + 60)
    released = b.client.v1.subscription_schedules.retrieve(schedule.id)
    assert (released.status, released.subscription, released.released_subscription) == (
        "released",
        None,
        subscription.id,
    )
    after = b.client.v1.subscriptions.retrieve(subscription.id)
    assert (after.schedule, after.status, [i.price.id for i in after["items"].data]) == (None, "active", [b.basic])
    assert "subscription_schedule.released" in b.types()


def test_releasing_keeps_the_subscription_as_it_is(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro)
    schedule = schedule_downgrade(b, subscription, b.basic)
    released = b.client.v1.subscription_schedules.release(schedule.id)
    assert (released.status, released.released_subscription) == ("released", subscription.id)
    assert b.types()[-2:] == ["customer.subscription.updated", "subscription_schedule.released"]
    b.fake.advance_clock(40 * DAY)
    after = b.client.v1.subscriptions.retrieve(subscription.id)
    assert (after.schedule, [i.price.id for i in after["items"].data]) == (None, [b.pro])
    with pytest.raises(stripe.InvalidRequestError):
        b.client.v1.subscription_schedules.release(schedule.id)
    since = {"released_at": {"gte": released.released_at}}
    assert [s.id for s in b.client.v1.subscription_schedules.list(since).data] == [schedule.id]
    assert b.client.v1.subscription_schedules.list({"canceled_at": {"gte": 0}}).data == []


def test_canceling_the_schedule_cancels_its_subscription(billing: Billing):
    b = billing
    subscription = b.subscribe()
    schedule = b.client.v1.subscription_schedules.create({"from_subscription": subscription.id})
    canceled = b.client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled"
    assert b.client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert b.types()[-2:] == ["customer.subscription.deleted", "subscription_schedule.canceled"]


def test_canceling_the_subscription_cancels_its_schedule(billing: Billing):
    b = billing
    subscription = b.subscribe()
    schedule = schedule_downgrade(b, subscription, b.basic)
    b.client.v1.subscriptions.cancel(subscription.id)
    assert b.client.v1.subscription_schedules.retrieve(schedule.id).status == "canceled"


def test_end_behavior_cancel_ends_the_subscription_after_the_last_phase(billing: Billing):
    b = billing
    subscription = b.subscribe()
    schedule = b.client.v1.subscription_schedules.create({"from_subscription": subscription.id})
    b.client.v1.subscription_schedules.update(schedule.id, {"end_behavior": "cancel"})
    b.fake.advance_clock(40 * DAY)
    assert b.client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert b.client.v1.subscription_schedules.retrieve(schedule.id).status == "completed"


def test_what_a_schedule_refuses(billing: Billing):
    b = billing
    subscription = b.subscribe()
    schedule = b.client.v1.subscription_schedules.create({"from_subscription": subscription.id})
    phase = schedule.phases[0]
    current = {"items": [{"price": b.basic}], "start_date": phase.start_date, "end_date": phase.end_date}
    refused = [
        lambda: b.client.v1.subscription_schedules.create({"from_subscription": subscription.id}),  # already one
        lambda: b.client.v1.subscription_schedules.create({"from_subscription": "sub_nope"}),
        lambda: b.client.v1.subscription_schedules.retrieve("sub_sched_nope"),
    ]
    for call in refused:
        with pytest.raises(stripe.InvalidRequestError):
            call()
    b.client.v1.prices.update(b.pro, {"active": False})
    with pytest.raises(stripe.InvalidRequestError, match="inactive"):
        b.client.v1.subscription_schedules.update(schedule.id, {"phases": [current, {"items": [{"price": b.pro}]}]})
    with pytest.raises(stripe.InvalidRequestError, match="start date"):
        moved = {**current, "start_date": phase.start_date + 1}
        b.client.v1.subscription_schedules.update(schedule.id, {"phases": [moved]})


def test_the_renewal_preview_of_a_scheduled_subscription_bills_the_next_phase(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro, quantity=2)
    schedule_downgrade(b, subscription, b.basic)
    shown = b.client.v1.invoices.create_preview(
        {"subscription": subscription.id, "subscription_details": {"proration_behavior": "none"}}
    )
    assert shown.amount_due == 1000
    b.fake.advance_clock(subscription["items"].data[0].current_period_end - b.fake.now() + 60)
    renewed = b.client.v1.subscriptions.retrieve(subscription.id)
    assert b.client.v1.invoices.retrieve(renewed.latest_invoice).amount_paid == shown.amount_due


def test_a_trialing_subscriptions_next_phase_starts_when_the_trial_ends(billing: Billing):
    b = billing
    customer = b.customer()
    subscription = b.client.v1.subscriptions.create(
        {"customer": customer, "items": [{"price": b.pro}], "trial_period_days": 7}
    )
    schedule_downgrade(b, subscription, b.basic)
    b.fake.advance_clock(7 * DAY + 60)
    ended = b.client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, [i.price.id for i in ended["items"].data]) == ("active", [b.basic])
    assert b.client.v1.invoices.retrieve(ended.latest_invoice).amount_paid == 1000


def test_the_hosted_portal_schedules_a_downgrade_its_configuration_schedules(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro)
    product = b.client.v1.prices.retrieve(b.pro).product
    configuration = b.client.v1.billing_portal.configurations.create(
        {
            "features": {
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [{"product": product, "prices": [b.basic, b.pro]}],
                    "proration_behavior": "always_invoice",
                    "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}]},
                }
            }
        }
    )
    session = b.client.v1.billing_portal.sessions.create(
        {"customer": subscription.customer, "configuration": configuration.id}
    )
    form = urllib.parse.urlencode({"subscription": subscription.id, "action": "update", "price": b.basic}).encode()
    urllib.request.urlopen(urllib.request.Request(session.url, data=form), timeout=10).read()
    now = b.client.v1.subscriptions.retrieve(subscription.id)
    assert [i.price.id for i in now["items"].data] == [b.pro]  # kept until the period's end
    schedule = b.client.v1.subscription_schedules.retrieve(now.schedule)
    assert [[i.price for i in p["items"]] for p in schedule.phases] == [[b.pro], [b.basic]]
    assert schedule.phases[1].start_date == now["items"].data[0].current_period_end
    b.fake.advance_clock(now["items"].data[0].current_period_end - b.fake.now() + 60)
    assert [i.price.id for i in b.client.v1.subscriptions.retrieve(subscription.id)["items"].data] == [b.basic]
