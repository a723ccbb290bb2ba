"""Pending updates (`payment_behavior=pending_if_incomplete`): an update whose invoice is not paid at once is
held in the subscription's `pending_update` instead of applied; paying that invoice applies it, and past its
`expires_at` the invoice is voided and the update discarded. Only the parameters Stripe supports for pending
updates may be passed (https://docs.stripe.com/billing/subscriptions/pending-updates-reference)."""

from __future__ import annotations

import copy

from ..errors import StripeError, invalid_request
from ..params import Params, as_bool, as_dict, as_objects, merge_metadata
from ..protocol import Fake
from ..resource import changing, emit, updated
from ..store import StripeObject
from . import entitlements
from .invoice_items import release
from .invoices import void_invoice
from .subscription_items import items_of, period_of, store_items

PENDING_UPDATE_LIFETIME = 23 * 3600
# The update subscription endpoint's supported attributes, and `metadata` since 2026-05-27.dahlia.
SUPPORTED = frozenset(
    {
        "add_invoice_items",
        "billing_cycle_anchor",
        "expand",
        "items",
        "metadata",
        "payment_behavior",
        "proration_behavior",
        "proration_date",
        "trial_end",
        "trial_from_plan",
    }
)
SUPPORTED_IN_ITEMS = frozenset({"deleted", "id", "price", "quantity"})
# The create and update subscription item endpoints' (the item's own `metadata` since 2026-05-27.dahlia).
SUPPORTED_FOR_ITEMS = frozenset(
    {"expand", "metadata", "payment_behavior", "price", "proration_behavior", "proration_date", "quantity"}
)


def check_supported(params: Params, supported: frozenset[str] = SUPPORTED) -> None:
    """Stripe's 400 for the first parameter a pending update does not support."""
    for name in params:
        if name not in supported:
            raise _unsupported(name)
    if "items" in supported:
        for n, spec in enumerate(as_objects(params, "items")):
            for name in spec:
                if name not in SUPPORTED_IN_ITEMS:
                    raise _unsupported(f"items[{n}][{name}]")


def _unsupported(name: str) -> StripeError:
    return invalid_request(
        f"When `payment_behavior` is set to `pending_if_incomplete`, you can only pass supported params. `{name}` "
        "is not supported. See https://stripe.com/docs/billing/subscriptions/pending-updates-reference"
        "#supported-attributes for more details.",
        name,
    )


def hold(
    fake: Fake,
    subscription: StripeObject,
    candidate: StripeObject,
    invoice: StripeObject,
    params: Params,
    before: StripeObject,
    released: list[StripeObject],
) -> None:
    """The update `candidate` is not applied: the subscription keeps its items and status, `pending_update`
    says what paying `invoice` (now the `latest_invoice`) would change; `customer.subscription.updated`.
    `released`: the invoice items the invoice took from earlier updates, pending again should it expire."""
    now = fake.now()
    ends = subscription["trial_end"] if subscription["status"] == "trialing" else period_of(subscription)[1]
    anchor_moved = candidate["billing_cycle_anchor"] != subscription["billing_cycle_anchor"]
    trial_moved = candidate["trial_end"] != subscription["trial_end"]
    trial_from_plan = as_bool(params, "trial_from_plan")
    subscription["pending_update"] = {
        "billing_cycle_anchor": candidate["billing_cycle_anchor"] if anchor_moved else None,
        "discount": None,
        "discounts": [],
        "expires_at": min(ends, now + PENDING_UPDATE_LIFETIME),
        "subscription_items": copy.deepcopy(items_of(candidate)),
        "trial_end": candidate["trial_end"] if trial_moved else None,
        "trial_from_plan": trial_from_plan,
        "metadata": as_dict(params, "metadata") or None,
    }
    subscription["latest_invoice"] = invoice["id"]
    fake.store.private.setdefault(subscription["id"], {})["pending_update"] = {
        "invoice": invoice["id"],
        "status": candidate["status"],
        "released": [item["id"] for item in released],
    }
    updated(fake, subscription, before)


def held_by(fake: Fake, invoice: StripeObject) -> StripeObject | None:
    """The subscription whose pending update waits for `invoice` to be paid, if any."""
    subscription = fake.store.get(invoice["parent"]["subscription_details"]["subscription"])
    if subscription is None or not subscription.get("pending_update"):
        return None
    pending = fake.store.private.get(subscription["id"], {}).get("pending_update") or {}
    return subscription if pending.get("invoice") == invoice["id"] else None


def apply_pending_update(fake: Fake, subscription: StripeObject) -> None:
    """Its invoice was paid: the held changes apply, `pending_update` clears; `customer.subscription.updated`,
    `customer.subscription.pending_update_applied`, then the customer's entitlements."""
    pending = subscription["pending_update"]
    private = fake.store.private[subscription["id"]].pop("pending_update")
    with changing(fake, subscription):
        new_items = copy.deepcopy(pending["subscription_items"])
        store_items(fake, items_of(subscription), new_items)
        subscription["items"]["data"] = new_items
        if pending["billing_cycle_anchor"] is not None:
            subscription["billing_cycle_anchor"] = pending["billing_cycle_anchor"]
        if pending["trial_end"] is not None:
            subscription["trial_end"] = pending["trial_end"]
        if subscription["status"] == "trialing":
            subscription["status"] = private["status"]  # active when the update ended the trial
        if pending["metadata"]:
            subscription["metadata"] = merge_metadata(subscription["metadata"], {"metadata": pending["metadata"]})
        subscription["pending_update"] = None
    emit(fake, "pending_update_applied", subscription)
    entitlements.refresh(fake, subscription["customer"])


def expire_pending_update(fake: Fake, subscription: StripeObject) -> None:
    """`expires_at` passed unpaid: the invoice is voided, the update discarded (the subscription goes on as if
    it was never asked for); `customer.subscription.updated`, `customer.subscription.pending_update_expired`."""
    with changing(fake, subscription):
        discard_pending_update(fake, subscription)
    emit(fake, "pending_update_expired", subscription)


def discard_pending_update(fake: Fake, subscription: StripeObject) -> None:
    """Drop the pending update, voiding its invoice: it expired, or a new change of the items replaces it (a
    change made while one waits is judged on its own, as Stripe does)."""
    private = fake.store.private.get(subscription["id"], {}).pop("pending_update", None) or {}
    invoice = fake.store.get(private.get("invoice") or "")
    if invoice is not None and invoice["status"] == "open":
        void_invoice(fake, invoice)
        release([item for item in map(fake.store.get, private.get("released", [])) if item is not None])
    subscription["pending_update"] = None
