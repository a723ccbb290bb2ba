"""A change of a subscription's prices or quantities (a plan change) is paid before it applies.

Stripe's defaults (`proration_behavior="create_prorations"`, `payment_behavior="allow_incomplete"`) apply such
a change at once and leave the difference for the next renewal, so an upgrade cancelled before it is never
paid. A plan change is sent as a pending update instead: the time-prorated difference invoiced at once and
charged to the default card (`always_invoice`), the change held in the subscription's `pending_update` while
that invoice is unpaid (`pending_if_incomplete`): a failed payment leaves the old items, and so the old
access, until the invoice is paid or the update expires (23 hours at most). Stripe takes only a few
parameters with a pending update, so the rest of a change is sent before it, in a call of its own.

During a trial, a change to a price that does not grant the same trial ends the trial (`trial_end="now"`),
and the new price is paid now; a change of quantity alone keeps the trial.
"""

from __future__ import annotations

from typing import Any

from ..models import Price, Subscription
from .trials import configured_trial_days

# What a pending update may carry (Stripe's list, less what this library never forwards); the rest of a
# change is sent first, on its own.
PENDING_UPDATE_PARAMS = frozenset(
    {"items", "payment_behavior", "proration_behavior", "proration_date", "trial_end", "billing_cycle_anchor"}
)
PLAN_ITEM_FIELDS = frozenset({"price", "plan", "quantity", "deleted"})
PAID_NOW = {"proration_behavior": "always_invoice", "payment_behavior": "pending_if_incomplete"}


def is_plan_change(items: list[dict[str, Any]]) -> bool:
    """Whether the items add, remove or reprice an item, or change a quantity (not only metadata)."""
    return any("id" not in item or PLAN_ITEM_FIELDS & item.keys() for item in items)


def split_plan_change(
    subscription: Subscription, changes: dict[str, Any], new_prices: list[Price]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the other changes, the plan change) of a checked change to `subscription`, each to send as it is, the
    other changes first. The plan change is paid now unless the calling code chose another proration or
    payment behaviour; `new_prices` are the prices the change puts on the subscription."""
    if not is_plan_change(changes.get("items") or []):
        return changes, {}
    plan = {name: value for name, value in changes.items() if name in PENDING_UPDATE_PARAMS}
    other = {name: value for name, value in changes.items() if name not in plan}
    if "trial_end" not in plan and ends_trial(subscription, new_prices):
        plan["trial_end"] = "now"
    return other, {**PAID_NOW, **plan}


def ends_trial(subscription: Subscription, new_prices: list[Price]) -> bool:
    """Whether moving a trialing subscription onto `new_prices` ends its trial: unless each price it has not
    had yet grants a trial, the same as the price it is on."""
    if subscription.status != "trialing":
        return False
    held = list(subscription.items.filter(deleted=False).values_list("price_id", flat=True))
    current = Price.objects.filter(id__in=held[:1]).first()
    granted = configured_trial_days(current) if current is not None else None
    added = [price for price in new_prices if price.id not in held]
    return any(granted is None or configured_trial_days(price) != granted for price in added)
