"""Prorations: what changing a subscription's items is worth for the rest of its billing period, as Stripe
computes it (to the second, rounded to the nearest unit), as invoice items: a credit "Unused time on ..." for
each item removed or changed, a charge "Remaining time on ..." for each item added or changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..protocol import Fake
from ..store import StripeObject
from .catalog import is_metered
from .invoice_items import add_invoice_item, invoice_item_object

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")


def prorated(amount: int, period: tuple[int, int], at: int) -> int:
    """`amount` × (end − at) / (end − start), to the nearest unit (a half away from zero)."""
    start, end = period
    span = end - start
    if span <= 0:
        return 0
    remaining = max(0, min(end - at, span))
    units = (2 * abs(amount) * remaining + span) // (2 * span)
    return units if amount >= 0 else -units


def changed_items(old: list[StripeObject], new: list[StripeObject]) -> tuple[list[StripeObject], list[StripeObject]]:
    """`(credited, charged)`: the old items removed or billed differently (price or quantity), and the new
    items added or billed differently. A change of metadata only prorates nothing."""
    old_by_id = {item["id"]: item for item in old}
    new_by_id = {item["id"]: item for item in new}
    credited = [i for i in old if i["id"] not in new_by_id or _billed(i) != _billed(new_by_id[i["id"]])]
    charged = [i for i in new if i["id"] not in old_by_id or _billed(i) != _billed(old_by_id[i["id"]])]
    return credited, charged


def _billed(item: StripeObject) -> tuple[str, int]:
    return item["price"]["id"], item["quantity"]


@dataclass(frozen=True)
class Proration:
    """One proration: a credit (negative `amount`) for an old item's unused time, or a charge for a new item's
    remaining time, over `period` (from the proration date to the period's end)."""

    item: StripeObject
    amount: int
    description: str
    period: tuple[int, int]


def proration_lines(
    fake: Fake, credited: list[StripeObject], charged: list[StripeObject], period: tuple[int, int], at: int
) -> list[Proration]:
    """The prorations for the time from `at` to the end of `period`, credits first: what an update makes as
    invoice items and what a preview (`invoices.create_preview`) shows, computed once here so they agree."""
    on = datetime.fromtimestamp(at, UTC).strftime("%d %b %Y")
    # Usage is billed at the renewal, whatever the price was when it was counted: a metered item prorates nothing.
    lines = [(item, -1, f"Unused time on {{}} after {on}") for item in credited if not is_metered(item["price"])]
    lines += [(item, 1, f"Remaining time on {{}} after {on}") for item in charged if not is_metered(item["price"])]
    prorations = []
    for item, sign, description in lines:
        price = item["price"]
        product = fake.store.get(price["product"]) or {"name": price["product"]}
        amount = sign * prorated(price["unit_amount"] * item["quantity"], period, at)
        prorations.append(
            Proration(item, amount, description.format(f"{item['quantity']} × {product['name']}"), (at, period[1]))
        )
    return prorations


def create_prorations(
    fake: Fake,
    subscription: StripeObject,
    credited: list[StripeObject],
    charged: list[StripeObject],
    period: tuple[int, int],
    at: int,
) -> list[StripeObject]:
    """The proration invoice items (pending) for the time from `at` to the end of `period`, credits first."""
    lines = proration_lines(fake, credited, charged, period, at)
    return [add_invoice_item(fake, proration_item(fake, subscription, line)) for line in lines]


def proration_item(fake: Fake, subscription: StripeObject, line: Proration) -> StripeObject:
    """The (unstored) invoice item of one proration line of `subscription`."""
    return invoice_item_object(
        fake,
        subscription,
        line.item["price"],
        line.item["quantity"],
        line.amount,
        line.description,
        line.period,
        subscription_item=line.item["id"],
        proration=True,
    )
