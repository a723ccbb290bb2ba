"""Plan changes as SaaS users expect them (issue 24), through the real SDK against the fake Stripe, the mirror
following by webhooks and compared with the fake after every step: a preview of the price, upgrades now and paid
now, downgrades at the renewal through a subscription schedule, a pending change cancelled, pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.exceptions import (
    StripeNotConfigured,
    StripePriceUnavailable,
    StripeRequestRefused,
    StripeWrongCustomer,
)
from django_stripe.models import Price, Subscription
from django_stripe.payments.requested_changes import PlanItem, cost_per_day, is_downgrade
from django_stripe.sync.drift import check_drift
from tests.billables import billable_of

pytestmark = pytest.mark.django_db

DAY = 86_400


def add_card(user, card="pm_card_visa"):
    setup_intent = payments.create_setup_intent(billable_of(user))
    return get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": card}).payment_method


def new_price(product: str, unit_amount: int, interval: str = "month") -> str:
    params = {"product": product, "currency": "usd", "unit_amount": unit_amount, "recurring": {"interval": interval}}
    return get_client().v1.prices.create(params=params).id


@pytest.fixture
def plans(catalogue):
    """Gold monthly ($10) and yearly ($100, cheaper per day), Starter ($5/month), Premium ($50/month)."""
    starter = get_client().v1.products.create(params={"name": "Starter"}).id
    premium = get_client().v1.products.create(params={"name": "Premium"}).id
    return {
        **catalogue,
        "starter_product": starter,
        "premium_product": premium,
        "starter": new_price(starter, 500),
        "premium": new_price(premium, 5000),
    }


@pytest.fixture
def subscribed(plans, make_user):
    """A user on Gold monthly with a card, and their subscription's id."""
    user = make_user()
    subscription = payments.create_subscription(
        billable_of(user), plans["monthly"], default_payment_method=add_card(user)
    )
    user.refresh_from_db()
    return user, subscription.id


def items_at_stripe(sub_id: str) -> list[tuple[str, int]]:
    subscription = get_client().v1.subscriptions.retrieve(sub_id)
    return [(item.price.id, item.quantity) for item in subscription["items"]["data"]]


def items_mirrored(sub_id: str) -> list[tuple[str, int]]:
    return list(Subscription.objects.get(id=sub_id).items.filter(deleted=False).values_list("price_id", "quantity"))


def assert_mirror_matches_stripe() -> None:
    """The mirror's subscriptions and invoices against the fake's, field by field (stripe_sync --check)."""
    for result in check_drift(["subscriptions", "invoices"]):
        assert [difference.describe() for difference in result.differences] == [], result.name


# Which change is a downgrade: the cost of a day, compared exactly.


def price(id_: str, unit_amount: int | None, interval: str = "month", count: int = 1) -> Price:
    return Price(id=id_, unit_amount=unit_amount, recurring_interval=interval, recurring_interval_count=count)


@pytest.mark.parametrize(
    ("current", "new", "downgrade"),
    [
        ((1000, "month", 1, 1), (500, "month", 1, 1), True),  # a cheaper price
        ((1000, "month", 1, 3), (1000, "month", 1, 2), True),  # fewer seats
        ((1000, "month", 1, 1), (10000, "year", 1, 1), True),  # yearly at $100 costs less a day than $10 a month
        ((1000, "month", 1, 1), (13000, "year", 1, 1), False),
        ((1000, "month", 1, 1), (1000, "month", 1, 1), False),  # equal: applied now
        ((1000, "month", 1, 1), (2900, "month", 3, 1), True),  # every 3 months
        ((700, "week", 1, 1), (3000, "month", 1, 1), True),  # 100 a day against 98.6 a day
        ((1000, "month", 1, 1), (None, "month", 1, 1), False),  # unknown cost (tiered): never a free downgrade
    ],
)
def test_a_downgrade_costs_less_per_day(current, new, downgrade):
    prices = {"a": price("a", *current[:3]), "b": price("b", *new[:3])}
    assert is_downgrade(PlanItem("a", current[3]), PlanItem("b", new[3]), prices) is downgrade


def test_the_cost_of_a_day_is_exact():
    prices = {"y": price("y", 36525, "year"), "m": price("m", 3043, "month")}
    assert cost_per_day(PlanItem("y", 1), prices) == 100
    assert cost_per_day(PlanItem("missing", 1), prices) is None


# Upgrades: now, paid now.


def test_an_upgrade_applies_now_and_is_paid_now(subscribed, plans):
    user, sub_id = subscribed
    subscription = payments.change_plan(billable_of(user), sub_id, price=plans["premium"])
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["premium"], 1)]
    invoice = get_client().v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert payments.is_subscribed(billable_of(user), plans["premium_product"]) is True
    assert_mirror_matches_stripe()


def test_more_seats_are_an_upgrade(subscribed, plans):
    user, sub_id = subscribed
    payments.change_plan(billable_of(user), sub_id, quantity=3)
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["monthly"], 3)]
    assert_mirror_matches_stripe()


def test_a_downgrade_applies_now_when_the_project_says_so(subscribed, plans, settings):
    settings.STRIPE_DOWNGRADE_AT = "now"
    user, sub_id = subscribed
    subscription = payments.change_plan(billable_of(user), sub_id, price=plans["starter"])
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["starter"], 1)]
    assert not subscription.to_dict().get("schedule")
    assert_mirror_matches_stripe()


def test_what_a_change_must_name_and_may_not_name(subscribed, plans, make_user):
    user, sub_id = subscribed
    with pytest.raises(StripeRequestRefused):
        payments.change_plan(billable_of(user), sub_id)
    with pytest.raises(StripeRequestRefused):
        payments.change_plan(billable_of(user), sub_id, quantity=0)
    with pytest.raises(StripeWrongCustomer):
        payments.change_plan(make_user("bob"), sub_id, price=plans["starter"])
    get_client().v1.prices.update(plans["starter"], params={"active": False})
    with pytest.raises(StripePriceUnavailable):
        payments.change_plan(billable_of(user), sub_id, price=plans["starter"])
    with pytest.raises(StripePriceUnavailable):
        payments.preview_change(billable_of(user), sub_id, price=plans["starter"])
    assert items_at_stripe(sub_id) == [(plans["monthly"], 1)]


def test_nothing_pending_is_nothing_to_cancel(subscribed, make_user):
    user, sub_id = subscribed
    with pytest.raises(StripeRequestRefused):
        payments.cancel_scheduled_change(billable_of(user), sub_id)
    with pytest.raises(StripeWrongCustomer):
        payments.cancel_scheduled_change(make_user("bob"), sub_id)


def test_a_setting_stripe_does_not_know_fails_loudly(subscribed, plans, settings):
    user, sub_id = subscribed
    settings.STRIPE_DOWNGRADE_AT = "renewal"
    with pytest.raises(StripeNotConfigured):
        payments.change_plan(billable_of(user), sub_id, price=plans["starter"])
    settings.STRIPE_PAUSE_BEHAVIOR = "pause"
    with pytest.raises(StripeNotConfigured):
        payments.pause_subscription(billable_of(user), sub_id)
    with pytest.raises(StripeRequestRefused):
        payments.pause_subscription(billable_of(user), sub_id, behavior="forever")
    assert not get_client().v1.subscriptions.retrieve(sub_id).to_dict().get("pause_collection")


# Previews (the fake's invoices.create_preview).


def test_the_preview_of_an_upgrade_is_what_the_upgrade_charges(subscribed, plans, synced_fake):
    user, sub_id = subscribed
    synced_fake.advance_clock(10 * DAY)
    preview = payments.preview_change(billable_of(user), sub_id, price=plans["premium"])
    assert preview.is_downgrade is False
    assert preview.currency == "usd"
    assert 0 < preview.due_now < 5000  # the rest of the month at $50, less the unused $10
    assert any(line["proration"] for line in preview.lines)
    assert preview.next_renewal == 5000
    assert preview.at_renewal == Subscription.objects.get(id=sub_id).current_period_end
    assert items_at_stripe(sub_id) == [(plans["monthly"], 1)]  # a preview changes nothing

    subscription = payments.change_plan(billable_of(user), sub_id, price=plans["premium"])
    invoice = get_client().v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", preview.due_now)
    assert_mirror_matches_stripe()


def test_the_preview_of_a_downgrade_charges_nothing_now(subscribed, plans):
    user, sub_id = subscribed
    preview = payments.preview_change(billable_of(user), sub_id, price=plans["starter"])
    assert (preview.is_downgrade, preview.due_now, preview.next_renewal) == (True, 0, 500)
    assert isinstance(preview.at_renewal, datetime) and preview.at_renewal.tzinfo is not None


# Downgrades at the renewal, through a schedule.


def test_a_downgrade_waits_for_the_renewal_then_applies(subscribed, plans, synced_fake):
    user, sub_id = subscribed
    period_end = Subscription.objects.get(id=sub_id).current_period_end
    subscription = payments.change_plan(billable_of(user), sub_id, price=plans["starter"])
    assert subscription.schedule
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["monthly"], 1)]  # kept until then
    row = Subscription.objects.get(id=sub_id)
    assert row.scheduled_change() == {"price": plans["starter"], "quantity": 1, "at": period_end}
    assert payments.is_subscribed(billable_of(user), plans["product"]) is True
    assert_mirror_matches_stripe()

    synced_fake.advance_clock(int(period_end.timestamp() - datetime.now(UTC).timestamp()) + 3600)
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["starter"], 1)]
    renewal = get_client().v1.invoices.retrieve(get_client().v1.subscriptions.retrieve(sub_id).latest_invoice)
    assert (renewal.billing_reason, renewal.amount_due) == ("subscription_cycle", 500)
    assert payments.is_subscribed(billable_of(user), plans["starter_product"]) is True
    assert payments.is_subscribed(billable_of(user), plans["product"]) is False
    assert_mirror_matches_stripe()


def test_a_pending_downgrade_cancelled_leaves_the_subscription_as_it_was(subscribed, plans, synced_fake):
    user, sub_id = subscribed
    before = get_client().v1.subscriptions.retrieve(sub_id)
    payments.change_plan(billable_of(user), sub_id, quantity=1, price=plans["starter"])
    subscription = payments.cancel_scheduled_change(billable_of(user), sub_id)
    assert not subscription.to_dict().get("schedule")
    assert Subscription.objects.get(id=sub_id).scheduled_change() is None
    synced_fake.advance_clock(35 * DAY)
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["monthly"], 1)]
    after = get_client().v1.subscriptions.retrieve(sub_id)
    assert (after.status, after.default_payment_method) == (before.status, before.default_payment_method)
    assert_mirror_matches_stripe()


def test_an_upgrade_replaces_a_pending_downgrade(subscribed, plans):
    user, sub_id = subscribed
    payments.change_plan(billable_of(user), sub_id, price=plans["starter"])
    subscription = payments.change_plan(billable_of(user), sub_id, price=plans["premium"])
    assert not subscription.to_dict().get("schedule")
    assert items_at_stripe(sub_id) == items_mirrored(sub_id) == [(plans["premium"], 1)]
    assert Subscription.objects.get(id=sub_id).scheduled_change() is None
    assert_mirror_matches_stripe()


# Pause and resume.


def test_pause_and_unpause_round_trip(subscribed, plans):
    user, sub_id = subscribed
    paused = payments.pause_subscription(billable_of(user), sub_id)
    assert (paused.status, paused.pause_collection.behavior) == ("active", "void")
    assert Subscription.objects.get(id=sub_id).pause_collection_behavior == "void"
    assert payments.is_subscribed(billable_of(user), plans["product"]) is False  # nothing is being paid
    assert_mirror_matches_stripe()

    unpaused = payments.unpause_subscription(billable_of(user), sub_id)
    assert unpaused.pause_collection is None
    assert Subscription.objects.get(id=sub_id).pause_collection_behavior is None
    assert payments.is_subscribed(billable_of(user), plans["product"]) is True
    assert_mirror_matches_stripe()


def test_access_while_paused_is_the_projects_choice(subscribed, plans, settings):
    settings.STRIPE_ACCESS_WHILE_PAUSED = True
    user, sub_id = subscribed
    payments.pause_subscription(billable_of(user), sub_id, behavior="keep_as_draft")
    assert payments.is_subscribed(billable_of(user), plans["product"]) is True


def test_a_renewal_while_paused_is_voided(subscribed, plans, synced_fake):
    user, sub_id = subscribed
    payments.pause_subscription(billable_of(user), sub_id)
    synced_fake.advance_clock(32 * DAY)
    renewal = get_client().v1.invoices.retrieve(get_client().v1.subscriptions.retrieve(sub_id).latest_invoice)
    assert (renewal.billing_reason, renewal.status) == ("subscription_cycle", "void")
    assert_mirror_matches_stripe()
