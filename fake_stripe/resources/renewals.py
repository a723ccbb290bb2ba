"""What the passing of time does to subscriptions (`FakeStripe.advance_clock`): incomplete ones expire,
pending updates expire, trials warn and end, periods renew with a new invoice (taking in the pending invoice
items, such as prorations; into the schedule's next phase when one starts; uncharged while collection is
paused), paused collection resumes at `resumes_at`, cancellations at period end happen, and (with
`fake.dunning`) a failed payment is retried until the subscription is active again, canceled or unpaid."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from ..clock import DAY, period_end_after
from ..protocol import Fake
from ..resource import changing, emit, updated
from ..store import StripeObject
from . import entitlements
from .common import snapshot
from .invoice_items import pending_items
from .invoices import bill, bill_paused, create_invoice, pay_invoice, void_invoice
from .pending_updates import expire_pending_update
from .subscription_items import interval_of, items_of, period_of
from .subscription_schedules import start_next_phase
from .subscription_status import ENDED, cancel_subscription, set_status

INCOMPLETE_EXPIRES_AFTER = 23 * 3600
TRIAL_WILL_END_BEFORE = 3 * DAY


def run_clock(fake: Fake, target: int) -> None:
    """Process, in time order, everything that falls due up to `target`, then leave the clock at `target`.

    One pass over the live subscriptions fills a heap of due times; an action only moves its own subscription's
    next due time, so each step pushes that one entry back (n + k log n for k steps, not n * k).
    """
    heap: list[tuple[int, int, str]] = []
    for rank, subscription in enumerate(fake.store.newest_first("subscription")):  # rank: ties go newest first
        _push(fake, heap, rank, subscription, target)
    while heap:
        moment, rank, subscription_id = heapq.heappop(heap)
        subscription = fake.store.get(subscription_id)
        due = _due_for(fake, subscription) if subscription is not None else None
        if due is None:
            continue
        if due[0] != moment:  # the entry is stale: queue its current due time instead
            _push(fake, heap, rank, subscription, target)
            continue
        fake.clock.move_to(moment)
        fake.clock.pin(moment)
        try:
            due[1](fake, subscription)
        finally:
            fake.clock.pin(None)
        _push(fake, heap, rank, subscription, target)
    fake.clock.move_to(target)


def _push(fake: Fake, heap: list[tuple[int, int, str]], rank: int, subscription: StripeObject, target: int) -> None:
    due = _due_for(fake, subscription)
    if due is not None and due[0] <= target:
        heapq.heappush(heap, (due[0], rank, subscription["id"]))


def _due_for(fake: Fake, subscription: StripeObject) -> tuple[int, Any] | None:
    status = subscription["status"]
    if status in ENDED:
        return None
    if status == "incomplete":
        return subscription["created"] + INCOMPLETE_EXPIRES_AFTER, expire_incomplete
    candidates = []
    if subscription["pending_update"]:
        candidates.append((subscription["pending_update"]["expires_at"], -1, expire_pending_update))
    if subscription["cancel_at"]:
        candidates.append((subscription["cancel_at"], 0, cancel_subscription))
    resumes_at = (subscription["pause_collection"] or {}).get("resumes_at")
    if resumes_at:
        candidates.append((resumes_at, 1, resume_collection))  # before a renewal at the same second
    if status == "past_due" and fake.dunning is not None:
        invoice = fake.store.get(subscription["latest_invoice"] or "")
        if invoice and invoice["status"] == "open" and invoice["next_payment_attempt"]:
            candidates.append((invoice["next_payment_attempt"], 1, retry_payment))
    if status == "trialing":
        reminded = fake.store.private.get(subscription["id"], {}).get("trial_will_end_sent")
        reminder_at = subscription["trial_end"] - TRIAL_WILL_END_BEFORE
        if not reminded and reminder_at > subscription["trial_start"]:
            candidates.append((reminder_at, 1, trial_will_end))
        candidates.append((subscription["trial_end"], 2, end_trial))
    else:
        candidates.append((period_of(subscription)[1], 2, renew))
    moment, _, action = min(candidates, key=lambda c: (c[0], c[1]))
    return moment, action


def expire_incomplete(fake: Fake, subscription: StripeObject) -> None:
    with changing(fake, subscription):
        subscription.update(status="incomplete_expired", ended_at=fake.now())
        invoice = fake.store.get(subscription["latest_invoice"] or "")
        if invoice and invoice["status"] == "open":
            void_invoice(fake, invoice)


def resume_collection(fake: Fake, subscription: StripeObject) -> None:
    """`pause_collection[resumes_at]` has come: invoices are collected again."""
    with changing(fake, subscription):
        subscription["pause_collection"] = None


def trial_will_end(fake: Fake, subscription: StripeObject) -> None:
    fake.store.private.setdefault(subscription["id"], {})["trial_will_end_sent"] = True
    emit(fake, "trial_will_end", subscription)


def end_trial(fake: Fake, subscription: StripeObject) -> None:
    """The trial is over: a new billing period starts now (with its schedule's next phase's items, when one
    starts) and its invoice is charged."""
    now = fake.now()
    before = snapshot(subscription)
    old_period = period_of(subscription)
    announce_schedule = start_next_phase(fake, subscription)
    if _ended_by_schedule(subscription, announce_schedule):
        return
    interval, count = interval_of(subscription)
    new_end = period_end_after(now, now, interval, count)
    subscription.update(status="active", trial_end=min(subscription["trial_end"] or now, now), billing_cycle_anchor=now)
    for item in items_of(subscription):
        item.update(current_period_start=now, current_period_end=new_end)
    _bill_new_period(fake, subscription, before, old_period, announce_schedule)


def renew(fake: Fake, subscription: StripeObject) -> None:
    """The period ended: the items move to the next period (its schedule's next phase's items, when one starts)
    and its invoice is charged."""
    before = snapshot(subscription)
    old_period = period_of(subscription)
    announce_schedule = start_next_phase(fake, subscription)
    if _ended_by_schedule(subscription, announce_schedule):
        return
    interval, count = interval_of(subscription)
    start = old_period[1]
    new_end = period_end_after(subscription["billing_cycle_anchor"], start, interval, count)
    for item in items_of(subscription):
        item.update(current_period_start=start, current_period_end=new_end)
    _bill_new_period(fake, subscription, before, old_period, announce_schedule)


def _ended_by_schedule(subscription: StripeObject, announce_schedule: Callable[[], None] | None) -> bool:
    """Whether the schedule's last phase ended with `end_behavior=cancel` (the subscription canceled, nothing
    renews): the schedule's `completed` is announced then."""
    if subscription["status"] not in ENDED:
        return False
    if announce_schedule:
        announce_schedule()
    return True


def _bill_new_period(
    fake: Fake,
    subscription: StripeObject,
    before: StripeObject,
    old_period: tuple[int, int],
    announce_schedule: Callable[[], None] | None = None,
) -> None:
    invoice = create_invoice(
        fake,
        subscription,
        "subscription_cycle",
        old_period,
        period_of(subscription),
        invoice_items=pending_items(fake, subscription),
        usage_period=old_period,
    )
    updated(fake, subscription, before)
    if announce_schedule:
        announce_schedule()  # after the subscription's update, before its invoice's events
    if subscription["pause_collection"] or subscription["status"] == "unpaid":
        # Paused, or unpaid after the retries failed: the invoice is made and nothing is charged.
        behavior = (subscription["pause_collection"] or {}).get("behavior", "keep_as_draft")
        bill_paused(fake, invoice, behavior)  # the status stays as it is
        entitlements.refresh(fake, subscription["customer"])
        return
    paid = bill(fake, invoice)
    if paid and subscription["status"] == "past_due":
        set_status(fake, subscription, "active")
    elif (
        not paid and subscription["status"] == "active" and subscription["collection_method"] == "charge_automatically"
    ):
        set_status(fake, subscription, "past_due")
        _after_failed_attempt(fake, subscription, invoice)
    else:
        entitlements.refresh(fake, subscription["customer"])


def retry_payment(fake: Fake, subscription: StripeObject) -> None:
    """The failed invoice's `next_payment_attempt` has come (`fake.dunning`): paid, the subscription is active
    again; failed for the last time, it becomes what `fake.dunning.then` says."""
    invoice = fake.store.require(subscription["latest_invoice"], "invoice")
    if pay_invoice(fake, invoice):
        set_status(fake, subscription, "active")
    else:
        _after_failed_attempt(fake, subscription, invoice)


def _after_failed_attempt(fake: Fake, subscription: StripeObject, invoice: StripeObject) -> None:
    dunning = fake.dunning
    if dunning is None or invoice["next_payment_attempt"] is not None or subscription["status"] != "past_due":
        return
    if dunning.then == "canceled":
        cancel_subscription(fake, subscription, reason="payment_failed")
    elif dunning.then == "unpaid":
        set_status(fake, subscription, "unpaid")
