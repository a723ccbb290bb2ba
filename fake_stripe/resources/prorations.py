"""Prorations: what changing a subscription's items is worth for the rest of its billing period, as Stripe
computes it (to the second, rounded to the nearest unit), as invoice items: a credit "Unused time on ..." for
each item removed or changed, a charge "Remaining time on ..." for each item added or changed."""

from __future__ import annotations

from datetime import UTC, datetime

from ..protocol import Fake
from ..store import StripeObject
from .invoice_items import create_invoice_item

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


def create_prorations(
    fake: Fake,
    subscription: StripeObject,
    credited: list[StripeObject],
    charged: list[StripeObject],
    period: tuple[int, int],
    at: int,
) -> list[StripeObject]:
    """The proration invoice items (pending) for the time from `at` to the end of `period`, credits first."""
    on = datetime.fromtimestamp(at, UTC).strftime("%d %b %Y")
    lines = [(item, -1, f"Unused time on {{}} after {on}") for item in credited]
    lines += [(item, 1, f"Remaining time on {{}} after {on}") for item in charged]
    created = []
    for item, sign, description in lines:
        price = item["price"]
        product = fake.store.get(price["product"]) or {"name": price["product"]}
        created.append(
            create_invoice_item(
                fake,
                subscription,
                price,
                item["quantity"],
                sign * prorated(price["unit_amount"] * item["quantity"], period, at),
                description.format(f"{item['quantity']} × {product['name']}"),
                (at, period[1]),
                subscription_item=item["id"],
                proration=True,
            )
        )
    return created
