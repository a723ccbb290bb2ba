"""Plan changes as SaaS users expect them: an upgrade applies now and is paid now; a downgrade waits for the end
of the period already paid for, through a subscription schedule, and can be cancelled until then.

A downgrade is written as Stripe's schedules are meant for it: the subscription's schedule (made from it when
it has none) gets two phases, the current one as it is (its items, its start and end), then one with the new
items, and `end_behavior="release"`. At the current phase's end Stripe moves the subscription onto the new
items, bills the renewal at the new price, and releases the subscription from the schedule when that one
iteration ends. Nothing is prorated (`proration_behavior="none"`): the user keeps what they paid for until
the renewal. Cancelling the pending change releases the schedule: the subscription keeps its items.

An upgrade while a downgrade is pending releases the schedule first (the user's latest choice wins; else
the old downgrade would still apply at the renewal), then goes through `modify_subscription`'s paid-now path
(plan_changes.py).
"""

from __future__ import annotations

from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..exceptions import StripeRequestRefused
from ..models import Subscription
from ..sync.mappers import as_payload
from .mirror import find_owned_row, mirror_stripe_object
from .requested_changes import RequestedChange, requested_change
from .subscriptions import modify_subscription

SCHEDULED_CHANGE = {"end_behavior": "release", "proration_behavior": "none"}


def change_plan(
    billable: Any, subscription_id: str, price: str | None = None, quantity: int | None = None
) -> stripe.Subscription:
    """Move the user's single-item subscription to `price` and/or `quantity`. An upgrade (or a change of equal
    cost) applies now and is paid now, as `modify_subscription` makes a plan change (StripePaymentPending when
    the payment fails: nothing changes). A downgrade (cheaper per day, see requested_changes.py) is scheduled
    for the end of the paid period (with STRIPE_DOWNGRADE_AT="now", applied now, prorated): the subscription
    answered keeps its items and names its `schedule`. Someone else's subscription is StripeWrongCustomer, a
    price not for sale StripePriceUnavailable. subscription_modified is sent."""
    change = requested_change(billable, subscription_id, price, quantity)
    if change.waits_for_renewal:
        subscription = schedule_change(change)
        signals.subscription_modified.send(sender=billable.__class__, user=billable, subscription=subscription)
        return subscription
    release_schedule(change.subscription)
    return modify_subscription(billable, subscription_id, items=[change.item_change()])


def cancel_scheduled_change(billable: Any, subscription_id: str) -> stripe.Subscription:
    """Cancel the change pending on the user's subscription (a downgrade waiting for the renewal): its schedule
    is released, and the subscription goes on as it is. StripeRequestRefused when nothing is pending; someone
    else's subscription is StripeWrongCustomer. subscription_modified is sent."""
    row = find_owned_row(billable, Subscription, subscription_id)
    if not schedule_of(row):
        raise StripeRequestRefused(f"Subscription {subscription_id} has no scheduled change.")
    subscription = release_schedule(row)
    signals.subscription_modified.send(sender=billable.__class__, user=billable, subscription=subscription)
    return subscription


def schedule_change(change: RequestedChange) -> stripe.Subscription:
    """Write `change` as the next phase of the subscription's schedule (made from the subscription when it has
    none), mirror the schedule and the subscription, and answer the subscription."""
    schedules = get_client().v1.subscription_schedules
    schedule_id = schedule_of(change.subscription)
    if schedule_id:
        schedule = schedules.retrieve(schedule_id)
    else:
        schedule = schedules.create(params={"from_subscription": change.subscription.id})
        mirror_stripe_object(schedule)
    start, end = current_phase_bounds(schedule)
    phases = [
        {"items": [change.current.as_phase_item()], "start_date": start, "end_date": end},
        {"items": [change.new.as_phase_item()]},  # without end_date: one iteration, then released
    ]
    schedule = schedules.update(schedule.id, params={**SCHEDULED_CHANGE, "phases": phases})
    mirror_stripe_object(schedule)
    return mirrored_subscription(change.subscription.id)


def release_schedule(row: Subscription) -> stripe.Subscription | None:
    """Release the subscription's schedule, if it has one (it keeps its current items), and mirror both; the
    subscription as Stripe then has it, or None when there was no schedule."""
    schedule_id = schedule_of(row)
    if not schedule_id:
        return None
    schedule = get_client().v1.subscription_schedules.release(schedule_id)
    mirror_stripe_object(schedule)
    return mirrored_subscription(row.id)


def schedule_of(row: Subscription) -> str | None:
    """The id of the schedule managing the subscription, as last mirrored (Stripe's `schedule`, an id)."""
    schedule = (row.stripe_data or {}).get("schedule")
    if isinstance(schedule, dict):  # expanded by whoever fetched it
        schedule = schedule.get("id")
    return schedule or None


def current_phase_bounds(schedule: stripe.StripeObject) -> tuple[int, int]:
    """The start and end (epoch seconds) of the schedule's current phase: Stripe's `current_phase`, else the
    first phase (a schedule made from a subscription has only that one)."""
    payload = as_payload(schedule)
    current = payload.get("current_phase") or (payload.get("phases") or [{}])[0]
    return current["start_date"], current["end_date"]


def mirrored_subscription(subscription_id: str) -> stripe.Subscription:
    """The subscription as Stripe has it now (a schedule's write changes its `schedule`), mirrored."""
    subscription = get_client().v1.subscriptions.retrieve(subscription_id)
    mirror_stripe_object(subscription)
    return subscription
