"""A change of plan a user asks for (a price, a quantity, or both, of a single-item subscription), checked, and
whether it is a downgrade.

A downgrade is a change to items that cost less per day: a price's `unit_amount` times the quantity, divided by
the length of its interval in days, compared exactly (fractions), so that a yearly price is compared with a
monthly one by what a day of each costs. An equal cost is no downgrade (it applies now, as an upgrade does).
A price without a `unit_amount` (tiered, metered, or not mirrored) is never taken for a downgrade: treated as
an upgrade, the change is prorated and paid now, so that not knowing its cost cannot be used to get a dearer
plan until the renewal without paying.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..conf import DOWNGRADE_MOMENTS, stripe_settings
from ..exceptions import StripeNotConfigured, StripeRequestRefused
from ..models import Price, Subscription
from .mirror import find_owned_row
from .products import purchasable_price

# Days in each of Stripe's recurring intervals; a month and a year are the calendar's averages.
INTERVAL_DAYS = {
    "day": Fraction(1),
    "week": Fraction(7),
    "month": Fraction(36525, 1200),
    "year": Fraction(36525, 100),
}


@dataclass(frozen=True)
class PlanItem:
    """What a single-item subscription is on, or is to be on: a price and its quantity."""

    price: str
    quantity: int

    def as_phase_item(self) -> dict[str, Any]:
        """The item as a schedule phase (and a preview) names it."""
        return {"price": self.price, "quantity": self.quantity}


@dataclass(frozen=True)
class RequestedChange:
    """A checked change of the user's subscription `subscription`: its one item `item_id`, from `current` to
    `new`."""

    subscription: Subscription
    item_id: str
    current: PlanItem
    new: PlanItem
    is_downgrade: bool

    @property
    def waits_for_renewal(self) -> bool:
        """Whether the change is applied at the end of the paid period (a downgrade, by STRIPE_DOWNGRADE_AT)."""
        return self.is_downgrade and downgrades_wait_for_renewal()

    def item_change(self) -> dict[str, Any]:
        """The `items` entry of the change applied now."""
        return {"id": self.item_id, "price": self.new.price, "quantity": self.new.quantity}


def requested_change(billable: Any, subscription_id: str, price: str | None, quantity: int | None) -> RequestedChange:
    """The user's change of their single-item subscription `subscription_id` to `price` and/or `quantity` (what
    is not given stays), checked before anything is sent to Stripe: the subscription is theirs (else
    StripeWrongCustomer), the price is for sale (else StripePriceUnavailable), the quantity is a positive int,
    and something is asked for (else StripeRequestRefused)."""
    if price is None and quantity is None:
        raise StripeRequestRefused("A plan change needs a price, a quantity, or both.")
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1):
        raise StripeRequestRefused("A quantity must be a whole number of at least 1.")
    subscription = find_owned_row(billable, Subscription, subscription_id)
    items = list(subscription.items.filter(deleted=False))
    if len(items) != 1:
        raise StripeRequestRefused(
            f"Subscription {subscription_id} has {len(items)} items; change them with modify_subscription."
        )
    item = items[0]
    current = PlanItem(item.price_id, item.quantity or 1)
    new_price = purchasable_price(price) if price is not None else None
    new = PlanItem(new_price.id if new_price else current.price, quantity if quantity is not None else current.quantity)
    prices = {row.id: row for row in Price.objects.filter(id__in={current.price, new.price})}
    return RequestedChange(subscription, item.id, current, new, is_downgrade(current, new, prices))


def is_downgrade(current: PlanItem, new: PlanItem, prices: dict[str, Price]) -> bool:
    """Whether `new` costs less per day than `current` (see the module's docstring); `prices` by id."""
    current_cost, new_cost = cost_per_day(current, prices), cost_per_day(new, prices)
    if current_cost is None or new_cost is None:
        return False
    return new_cost < current_cost


def cost_per_day(item: PlanItem, prices: dict[str, Price]) -> Fraction | None:
    """What a day of `item` costs, in the price's smallest currency unit; None when it is not known."""
    price = prices.get(item.price)
    if price is None or price.unit_amount is None:
        return None
    days = INTERVAL_DAYS.get(price.recurring_interval)
    if days is None:
        return None
    return Fraction(price.unit_amount * item.quantity) / (days * (price.recurring_interval_count or 1))


def downgrades_wait_for_renewal() -> bool:
    """STRIPE_DOWNGRADE_AT read: True for "period_end"; a value it cannot hold is StripeNotConfigured (the
    system check django_stripe.E008 says so at startup)."""
    moment = stripe_settings.STRIPE_DOWNGRADE_AT
    if moment not in DOWNGRADE_MOMENTS:
        raise StripeNotConfigured(f"STRIPE_DOWNGRADE_AT is {moment!r}: it must be one of {DOWNGRADE_MOMENTS}.")
    return moment == "period_end"
