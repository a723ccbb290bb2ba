"""Invoice previews (`POST /v1/invoices/create_preview`): the invoice a change of a subscription's items would
make, without making it. `subscription_details[proration_behavior]` chooses which invoice: `always_invoice`,
the one the change charges now (its prorations: the old items' unused time credited, the new ones' remaining
time charged, to the second from `subscription_details[proration_date]`); `create_prorations` (the default) and
`none`, the next renewal at the new items (with the prorations, or without); without `items`, a subscription on a
schedule renews into the schedule's next phase when it starts at the period's end. A change that starts a new period
(a new interval, `billing_cycle_anchor=now`) is billed now whatever the behaviour, as the update bills it.

The amounts come from the code the update runs (`subscription_updates.billed_change`, `prorations`), so a
preview's `amount_due` is what the update then charges, to the cent. Nothing is stored and no event is sent.
"""

from __future__ import annotations

import copy

from ..clock import period_end_after
from ..errors import invalid_request
from ..params import Params, as_dict, as_objects, one_of, require
from ..protocol import Fake
from ..routing import Request
from ..store import StripeObject
from .common import snapshot
from .invoice_items import line_of, pending_items
from .invoices import invoice_object, invoices, subscription_lines
from .prorations import PRORATION_BEHAVIORS, Proration, proration_item, proration_lines
from .subscription_items import change_items, interval_of, period_of
from .subscription_schedules import next_phase, phase_items
from .subscription_status import ENDED
from .subscription_updates import billed_change, proration_date


@invoices.post("/create_preview")
def create_preview(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    subscription = _subscription(fake, params)
    details = as_dict(params, "subscription_details")
    proration = one_of(details, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    restart = one_of(details, "billing_cycle_anchor", ("now", "unchanged"), "unchanged") == "now"
    period = period_of(subscription)
    at = proration_date(fake, details, period, "subscription_details[proration_date]")
    candidate = snapshot(subscription)  # the subscription as the change would leave it
    specs = as_objects(details, "items")
    change_items(fake, candidate, specs, *period)
    reset, credited, charged = billed_change(fake, subscription, candidate, proration, restart, False)
    prorations = proration_lines(fake, credited, charged, period, at)
    if reset or proration == "always_invoice":
        return _now_invoice(fake, subscription, candidate, prorations, reset)
    phase = next_phase(fake, subscription) if not specs else None
    if phase is not None and phase["start_date"] == period[1]:
        candidate["items"]["data"] = phase_items(fake, subscription, phase)  # the renewal the schedule makes
    return _renewal_invoice(fake, subscription, candidate, prorations)


def _subscription(fake: Fake, params: Params) -> StripeObject:
    """The subscription previewed (the fake previews changes of an existing subscription only)."""
    subscription = fake.store.require(require(params, "subscription"), "subscription", "subscription")
    if params.get("customer") and params["customer"] != subscription["customer"]:
        raise invalid_request(
            f"The subscription '{subscription['id']}' does not belong to the customer '{params['customer']}'.",
            "subscription",
        )
    if subscription["status"] in ENDED:
        raise invalid_request("You cannot preview the upcoming invoice for a canceled subscription.", "subscription")
    return subscription


def _now_invoice(
    fake: Fake, subscription: StripeObject, candidate: StripeObject, prorations: list[Proration], reset: bool
) -> StripeObject:
    """What the update would invoice now: the invoice items waiting from earlier updates, the prorations, and
    (a new period) the new items in full. With nothing to prorate the update invoices nothing: 0 is due."""
    now = fake.now()
    invoice_id = "upcoming_" + fake.store.new_id("in_", 24)
    lines = _pending_lines(fake, subscription, invoice_id) if (reset or prorations) else []
    lines += _proration_lines(fake, candidate, prorations, invoice_id)
    if reset:
        lines += subscription_lines(fake, candidate, invoice_id, period_of(candidate))
    return _preview(fake, candidate, invoice_id, "subscription_update", (now, now), lines)


def _renewal_invoice(
    fake: Fake, subscription: StripeObject, candidate: StripeObject, prorations: list[Proration]
) -> StripeObject:
    """The next renewal at the new items: the pending invoice items and prorations, then the next period."""
    invoice_id = "upcoming_" + fake.store.new_id("in_", 24)
    period = period_of(subscription)
    next_period = (
        period[1],
        period_end_after(subscription["billing_cycle_anchor"], period[1], *interval_of(candidate)),
    )
    lines = _pending_lines(fake, subscription, invoice_id) + _proration_lines(fake, candidate, prorations, invoice_id)
    lines += subscription_lines(fake, candidate, invoice_id, next_period, usage_period=period)
    invoice = _preview(fake, candidate, invoice_id, "subscription_cycle", period, lines)
    invoice["created"] = period[1]
    return invoice


def _pending_lines(fake: Fake, subscription: StripeObject, invoice_id: str) -> list[StripeObject]:
    # Copies: making a line marks its invoice item as taken, which the stored items must not be.
    return [line_of(fake, copy.deepcopy(item), invoice_id) for item in pending_items(fake, subscription)]


def _proration_lines(
    fake: Fake, candidate: StripeObject, prorations: list[Proration], invoice_id: str
) -> list[StripeObject]:
    return [line_of(fake, proration_item(fake, candidate, p), invoice_id) for p in prorations]


def _preview(
    fake: Fake,
    subscription: StripeObject,
    invoice_id: str,
    billing_reason: str,
    period: tuple[int, int],
    lines: list[StripeObject],
) -> StripeObject:
    """The draft invoice, the customer's balance applied as finalizing it would (a credit lowers what is due)."""
    invoice = invoice_object(fake, subscription, invoice_id, billing_reason, period, lines)
    customer = fake.store.get(subscription["customer"])
    balance = customer["balance"] if customer and not customer.get("deleted") else 0
    due = max(invoice["total"] + balance, 0)
    invoice.update(starting_balance=balance, amount_due=due, amount_remaining=due)
    return invoice
