"""What a plan change will cost, asked of Stripe before the user confirms it (`invoices.create_preview`), with
the proration settings the change itself will use (scheduled_changes.py):

- a change applied now is previewed with `always_invoice`: the invoice it charges at once (the unused time of
  the old item credited, the new one charged for the rest of the period);
- the next renewal is previewed with `none`: the invoice at the period's end, at the new items.

A downgrade waiting for the renewal charges nothing now, so only the renewal is asked for. No
`proration_date` is sent: Stripe prorates to its own clock (a test clock, the fake's advanced clock), which
the server's may not match; the change then applies at Stripe's moment too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..client import get_client
from ..sync.mappers import as_payload
from .requested_changes import RequestedChange, requested_change


@dataclass(frozen=True)
class ChangePreview:
    """What a plan change costs: `due_now` (charged when it is confirmed; 0 for a downgrade waiting for the
    renewal), `next_renewal` (the renewal's amount at the new items) and `at_renewal` (when: the end of the
    current period), in `currency`'s smallest unit; `lines` of the invoice charged first (each `amount`,
    `description`, `proration`, `period_start`, `period_end`)."""

    due_now: int
    next_renewal: int
    currency: str
    at_renewal: datetime
    is_downgrade: bool
    lines: list[dict[str, Any]]


def preview_change(
    billable: Any, subscription_id: str, price: str | None = None, quantity: int | None = None
) -> ChangePreview:
    """What `change_plan(user, subscription_id, price, quantity)` would charge now and at the next renewal, as
    Stripe computes it, changing nothing. Checked as `change_plan` is: someone else's subscription is
    StripeWrongCustomer, a price not for sale StripePriceUnavailable."""
    change = requested_change(billable, subscription_id, price, quantity)
    renewal = invoice_preview(change, "none")
    charged_now = None if change.waits_for_renewal else invoice_preview(change, "always_invoice")
    first = charged_now or renewal
    return ChangePreview(
        due_now=charged_now["amount_due"] if charged_now else 0,
        next_renewal=renewal["amount_due"],
        currency=renewal.get("currency") or "",
        at_renewal=renewal_moment(change, renewal),
        is_downgrade=change.is_downgrade,
        lines=[preview_line(line) for line in (first.get("lines") or {}).get("data") or []],
    )


def invoice_preview(change: RequestedChange, proration_behavior: str) -> dict[str, Any]:
    """Stripe's preview of the invoice `change` makes with `proration_behavior`, as a payload."""
    subscription = change.subscription
    details = {"items": [change.item_change()], "proration_behavior": proration_behavior}
    params = {"customer": subscription.customer_id, "subscription": subscription.id, "subscription_details": details}
    return as_payload(get_client().v1.invoices.create_preview(params=params))


def renewal_moment(change: RequestedChange, renewal: dict[str, Any]) -> datetime:
    """When the next renewal is: the subscription's current period end as mirrored, else the renewal
    preview's own `period_end`."""
    if change.subscription.current_period_end is not None:
        return change.subscription.current_period_end
    return datetime.fromtimestamp(renewal.get("period_end") or 0, tz=UTC)


def preview_line(line: dict[str, Any]) -> dict[str, Any]:
    """One line of a preview: whether it is a proration is under `parent.subscription_item_details` in the
    current API, at the top of the line in older versions."""
    period = line.get("period") or {}
    details = (line.get("parent") or {}).get("subscription_item_details") or {}
    return {
        "amount": line.get("amount", 0),
        "description": line.get("description"),
        "proration": bool(details.get("proration", line.get("proration", False))),
        "period_start": period.get("start"),
        "period_end": period.get("end"),
    }
