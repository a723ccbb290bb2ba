"""Subscription schedules: a subscription's changes planned as phases, each a set of items from its start date to
its end date. `from_subscription` makes one whose only phase is the subscription's current period; an update
replaces the phases (the current one first, then what follows); release lets the subscription go on alone,
cancel ends both.

The clock runs them (`start_next_phase`, called by `renewals.renew`): at the renewal that ends the current
phase, the next phase's items replace the subscription's and the renewal invoice bills them; after the last
phase, `end_behavior=release` releases the subscription (it keeps its items), `cancel` cancels it. A phase that
ends between two renewals takes effect at the next renewal (the fake does not prorate a phase change mid-period).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..clock import add_interval
from ..errors import invalid_request, parameter_invalid
from ..fixtures import stripe_fixture
from ..lists import Check
from ..params import Params, as_bool, as_int, as_objects, created_filter, merge_metadata, one_of, require
from ..protocol import Fake
from ..resource import Resource, changing, equal
from ..routing import Request
from ..shapes import build
from ..store import StripeObject
from .common import snapshot
from .subscription_items import billing_cycle, build_item, items_of, period_of, recurring_price, store_items
from .subscription_status import ENDED, cancel_subscription

END_BEHAVIORS = ("release", "cancel")
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
LIVE = ("not_started", "active")


def _scheduled(params: Params) -> Check | None:
    """`scheduled=true`: the schedules that have not started yet (`false`: those that have)."""
    scheduled = as_bool(params, "scheduled")
    return (lambda schedule: (schedule["status"] == "not_started") == scheduled) if scheduled is not None else None


def _at(field: str) -> Any:
    """`canceled_at`, `completed_at`, `released_at` (a timestamp or `[gt|gte|lt|lte]`): the schedules that
    ended so within that range."""

    def read(params: Params) -> Check | None:
        within = created_filter(params, field)
        return (lambda schedule: schedule[field] is not None and within(schedule[field])) if within else None

    return read


subscription_schedules = Resource(
    "subscription_schedule",
    "/v1/subscription_schedules",
    filters=(equal("customer"), _scheduled, _at("canceled_at"), _at("completed_at"), _at("released_at")),
)


@subscription_schedules.post()
def create_schedule(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    if not params.get("from_subscription"):
        raise invalid_request(
            "The fake makes subscription schedules from an existing subscription only: pass `from_subscription`.",
            "from_subscription",
        )
    subscription = fake.store.require(params["from_subscription"], "subscription", "from_subscription")
    if subscription["status"] in ENDED:
        raise invalid_request("You cannot migrate a canceled subscription to a schedule.", "from_subscription")
    if subscription["schedule"]:
        raise invalid_request(
            f"You cannot migrate a subscription that is already attached to a schedule: `{subscription['schedule']}`.",
            "from_subscription",
        )
    return _attach(fake, subscription, params)


def _attach(fake: Fake, subscription: StripeObject, params: Params) -> StripeObject:
    """A new schedule for the subscription (its current period the one phase): `subscription_schedule.created`,
    then `customer.subscription.updated` (its `schedule`)."""
    schedule = _new_schedule(fake, subscription, params)
    fake.store.add(schedule, owner=subscription["customer"])
    subscription_schedules.emit(fake, "created", schedule)
    with changing(fake, subscription):
        subscription["schedule"] = schedule["id"]
    return schedule


def schedule_at_period_end(fake: Fake, subscription: StripeObject, items: list[dict[str, Any]]) -> StripeObject:
    """Change the subscription's items (`[{"price", "quantity"}]`) at the end of its period, through its schedule
    (made when it has none live): the current phase, then the new items for one interval. The hosted portal's
    `schedule_at_period_end` does this."""
    schedule = fake.store.get(subscription["schedule"] or "")
    if schedule is None or schedule["status"] not in LIVE:
        schedule = _attach(fake, subscription, {})
    current = next(p for p in schedule["phases"] if p["end_date"] == schedule["current_phase"]["end_date"])
    price = fake.store.require(items[0]["price"], "price")
    recurring = price["recurring"]
    end = add_interval(current["end_date"], recurring["interval"], recurring["interval_count"])
    following = _phase(subscription["currency"], items, current["end_date"], end, "create_prorations")
    with subscription_schedules.changing(fake, schedule):
        schedule["phases"] = [current, following]
    return schedule


@subscription_schedules.post("/{id}")
def update_schedule(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    schedule = subscription_schedules.retrieve(request)
    if schedule["status"] not in LIVE:
        raise invalid_request(f"You cannot update a subscription schedule that is currently `{schedule['status']}`.")
    subscription = fake.store.require(schedule["subscription"], "subscription", "subscription")
    end_behavior = one_of(params, "end_behavior", END_BEHAVIORS, schedule["end_behavior"])
    one_of(params, "proration_behavior", PRORATION_BEHAVIORS)
    phases = _phases(fake, subscription, schedule, params) if "phases" in params else schedule["phases"]
    with subscription_schedules.changing(fake, schedule):
        schedule.update(end_behavior=end_behavior, phases=phases, metadata=merge_metadata(schedule["metadata"], params))
        schedule["current_phase"] = _current_phase(phases, fake.now())
    return schedule


@subscription_schedules.post("/{id}/release")
def release_schedule(request: Request) -> StripeObject:
    schedule = _live(request, "release")
    release(request.fake, schedule, announce=True)
    return schedule


@subscription_schedules.post("/{id}/cancel")
def cancel_schedule(request: Request) -> StripeObject:
    fake = request.fake
    schedule = _live(request, "cancel")
    subscription = fake.store.get(schedule["subscription"] or "")
    if subscription is not None and subscription["status"] not in ENDED:
        cancel_subscription(fake, subscription)
    _cancel(fake, schedule)
    return schedule


def end_with_subscription(fake: Fake, subscription: StripeObject) -> None:
    """The subscription was canceled: its live schedule is canceled with it (`subscription_schedule.canceled`)."""
    schedule = fake.store.get(subscription["schedule"] or "")
    if schedule is not None and schedule["status"] in LIVE:
        _cancel(fake, schedule)


def _cancel(fake: Fake, schedule: StripeObject) -> None:
    schedule.update(status="canceled", canceled_at=fake.now(), current_phase=None)
    subscription_schedules.emit(fake, "canceled", schedule)


def _live(request: Request, action: str) -> StripeObject:
    schedule = subscription_schedules.retrieve(request)
    if schedule["status"] not in LIVE:
        raise invalid_request(
            f"You cannot {action} a subscription schedule that is currently `{schedule['status']}`.",
        )
    return schedule


# -- what the clock does ------------------------------------------------------------------------------------


def start_next_phase(fake: Fake, subscription: StripeObject) -> Callable[[], None] | None:
    """At a renewal: when the schedule's current phase is over, give the subscription the next phase's items
    (or release it, or cancel it, after the last). Returns what announces the schedule's change, to be called
    once the subscription's own update is announced (Stripe's order), or None when the schedule has no change."""
    schedule = fake.store.get(subscription["schedule"] or "")
    if schedule is None or schedule["status"] != "active":
        return None
    current = schedule["current_phase"]
    now = fake.now()
    if current is None or current["end_date"] is None or current["end_date"] > now:
        return None
    upcoming = [phase for phase in schedule["phases"] if phase["start_date"] >= current["end_date"]]
    if not upcoming:
        return _finish(fake, schedule, subscription)
    before = snapshot(schedule)
    _take_items(fake, subscription, upcoming[0])
    schedule["current_phase"] = _current_phase(schedule["phases"], now)
    return lambda: subscription_schedules.updated(fake, schedule, before)


def _finish(fake: Fake, schedule: StripeObject, subscription: StripeObject) -> Callable[[], None]:
    """The last phase is over: `release` lets the subscription go on with its items, `cancel` ends it."""
    if schedule["end_behavior"] == "cancel":
        schedule.update(status="completed", completed_at=fake.now(), current_phase=None)
        cancel_subscription(fake, subscription)
        return lambda: subscription_schedules.emit(fake, "completed", schedule)
    release(fake, schedule, announce=False)
    return lambda: subscription_schedules.emit(fake, "released", schedule)


def release(fake: Fake, schedule: StripeObject, announce: bool) -> None:
    """The schedule lets its subscription go (which keeps its items); with `announce`, the events now
    (`customer.subscription.updated`, `subscription_schedule.released`), else the caller's."""
    subscription = fake.store.get(schedule["subscription"] or "")
    schedule.update(
        status="released",
        released_at=fake.now(),
        released_subscription=schedule["subscription"],
        subscription=None,
        current_phase=None,
    )
    if subscription is None:
        return
    if announce:
        with changing(fake, subscription):
            subscription["schedule"] = None
        subscription_schedules.emit(fake, "released", schedule)
    else:
        subscription["schedule"] = None


def _take_items(fake: Fake, subscription: StripeObject, phase: StripeObject) -> None:
    """The subscription's items become the phase's (the renewal that follows sets their period)."""
    new = phase_items(fake, subscription, phase)
    store_items(fake, items_of(subscription), new)
    subscription["items"]["data"] = new


def phase_items(fake: Fake, subscription: StripeObject, phase: StripeObject) -> list[StripeObject]:
    """The subscription's items as `phase` makes them, not stored: an item of a price it keeps stays (its
    quantity set), the others are new items."""
    by_price = {item["price"]["id"]: item for item in items_of(subscription)}
    start, end = period_of(subscription)
    new = []
    for spec in phase["items"]:
        item = copy.deepcopy(by_price[spec["price"]]) if spec["price"] in by_price else None
        if item is None:
            price = fake.store.require(spec["price"], "price")
            item = build_item(fake, subscription, price, {"quantity": spec["quantity"]}, start, end)
        item["quantity"] = spec["quantity"]
        new.append(item)
    return new


def next_phase(fake: Fake, subscription: StripeObject) -> StripeObject | None:
    """The phase of the subscription's active schedule that starts when the current one ends, if any."""
    schedule = fake.store.get(subscription["schedule"] or "")
    if schedule is None or schedule["status"] != "active" or schedule["current_phase"] is None:
        return None
    ends = schedule["current_phase"]["end_date"]
    return next((phase for phase in schedule["phases"] if phase["start_date"] == ends), None)


# -- the schedule and its phases -----------------------------------------------------------------------------


def _new_schedule(fake: Fake, subscription: StripeObject, params: Params) -> StripeObject:
    start, end = period_of(subscription)
    items = [{"price": item["price"]["id"], "quantity": item["quantity"]} for item in items_of(subscription)]
    phases = [_phase(subscription["currency"], items, start, end, "create_prorations")]
    defaults = stripe_fixture("subscription_schedule")["default_settings"]
    defaults.update(
        automatic_tax={"enabled": False, "liability": None, "disabled_reason": None},
        billing_thresholds=None,
        collection_method=subscription["collection_method"],
        default_payment_method=subscription["default_payment_method"],
        transfer_data=None,
    )
    return build(
        "subscription_schedule",
        application=None,
        billing_mode={"flexible": None, "type": "classic"},
        canceled_at=None,
        completed_at=None,
        created=fake.now(),
        current_phase={"end_date": end, "start_date": start},
        customer=subscription["customer"],
        customer_account=None,
        default_settings=defaults,
        end_behavior="release",
        id=fake.store.new_id("sub_sched_", 24),
        livemode=False,
        metadata=merge_metadata({}, params),
        phases=phases,
        released_at=None,
        released_subscription=None,
        status="active",
        subscription=subscription["id"],
        test_clock=None,
    )


def _phase(currency: str, items: list[dict[str, Any]], start: int, end: int, proration: str) -> StripeObject:
    phase = stripe_fixture("subscription_schedule")["phases"][0]
    template = phase["items"][0]
    phase.update(
        add_invoice_items=[],
        billing_cycle_anchor=None,
        billing_thresholds=None,
        collection_method=None,
        currency=currency,
        end_date=end,
        invoice_settings=None,
        items=[
            {
                **{key: None for key in template},
                "billing_thresholds": None,
                "discounts": [],
                "metadata": {},
                "plan": item["price"],
                "price": item["price"],
                "quantity": item["quantity"],
                "tax_rates": [],
            }
            for item in items
        ],
        proration_behavior=proration,
        start_date=start,
        transfer_data=None,
    )
    return phase


def _phases(fake: Fake, subscription: StripeObject, schedule: StripeObject, params: Params) -> list[StripeObject]:
    """The update's `phases`, checked: each phase starts where the one before ended (the first where the
    current phase started), and ends at its `end_date` or after `iterations` (default 1) of its interval."""
    specs = as_objects(params, "phases")
    if not specs:
        raise parameter_invalid("phases", "A schedule needs at least one phase.")
    current = schedule["current_phase"]
    start = current["start_date"] if current else fake.now()
    if specs[0].get("start_date") not in (None, "", "now") and as_int(specs[0], "start_date") != start:
        raise invalid_request("You can not modify the start date of the current phase.", "phases[0][start_date]")
    phases = []
    for n, spec in enumerate(specs):
        items, interval = _phase_items(fake, spec, f"phases[{n}]")
        end = as_int(spec, "end_date") or add_interval(start, interval[0], interval[1] * as_int(spec, "iterations", 1))
        if end <= start:
            raise parameter_invalid(f"phases[{n}][end_date]", "A phase must end after it starts.")
        proration = one_of(spec, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
        phases.append(_phase(subscription["currency"], items, start, end, proration))
        start = end
    now_items = sorted((item["price"]["id"], item["quantity"]) for item in items_of(subscription))
    if current and sorted((i["price"], i["quantity"]) for i in phases[0]["items"]) != now_items:
        raise invalid_request(
            "The fake applies a schedule's phases at renewals: the first phase must keep the subscription's "
            "current items.",
            "phases[0][items]",
        )
    return phases


def _phase_items(fake: Fake, spec: Params, param: str) -> tuple[list[dict[str, Any]], tuple[str, int]]:
    """A phase's items `{price, quantity}` (active recurring prices of one currency and interval), and that
    interval."""
    items = as_objects(spec, "items")
    if not items:
        raise parameter_invalid(f"{param}[items]", "Each phase needs at least one item.")
    prices = [
        recurring_price(fake, require(item, "price"), f"{param}[items][{n}][price]") for n, item in enumerate(items)
    ]
    if len({billing_cycle(price) for price in prices}) > 1:
        raise invalid_request("All prices on a subscription must have the same `currency` and `recurring[interval]`.")
    recurring = prices[0]["recurring"]
    found = [
        {"price": price["id"], "quantity": as_int(item, "quantity", 1)}
        for price, item in zip(prices, items, strict=True)
    ]
    return found, (recurring["interval"], recurring["interval_count"])


def _current_phase(phases: list[StripeObject], now: int) -> dict[str, int] | None:
    for phase in phases:
        if phase["start_date"] <= now < phase["end_date"]:
            return {"end_date": phase["end_date"], "start_date": phase["start_date"]}
    return None
