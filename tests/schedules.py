"""Subscription schedules as Stripe sends them (the shape of Stripe's fixture `subscription_schedule`, API
2026-10-28), for the tests of their mirror: a schedule made `from_subscription` holds the current phase, and the
library adds the next one (see the shared interface of issue 24)."""

from __future__ import annotations

from typing import Any

DAY = 24 * 3600
PERIOD_START = 1_767_225_600  # 2026-01-01
PERIOD_END = PERIOD_START + 31 * DAY


def phase(start: int, end: int | None, *items: tuple[str, int | None]) -> dict[str, Any]:
    """One phase; `items` are (price id, quantity)."""
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "billing_cycle_anchor": None,
        "collection_method": None,
        "currency": "usd",
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "end_date": end,
        "invoice_settings": None,
        "items": [
            {
                "discounts": [],
                "metadata": {},
                "price": price,
                "tax_rates": [],
                **({"quantity": quantity} if quantity is not None else {}),
            }
            for price, quantity in items
        ],
        "metadata": {},
        "on_behalf_of": None,
        "proration_behavior": "none",
        "start_date": start,
        "transfer_data": None,
        "trial_end": None,
    }


def schedule(
    schedule_id: str = "sub_sched_1",
    *,
    subscription: str | None = "sub_1",
    customer: str = "cus_1",
    status: str = "active",
    phases: list[dict[str, Any]] | None = None,
    current: tuple[int, int] | None = (PERIOD_START, PERIOD_END),
    created: int = PERIOD_START,
    **fields: Any,
) -> dict[str, Any]:
    """A schedule; by default active on `sub_1` with the current phase (Pro) then one phase of Starter."""
    if phases is None:
        phases = [
            phase(PERIOD_START, PERIOD_END, ("price_pro", 1)),
            phase(PERIOD_END, PERIOD_END + 28 * DAY, ("price_starter", 1)),
        ]
    released = status == "released"
    return {
        "id": schedule_id,
        "object": "subscription_schedule",
        "application": None,
        "billing_mode": {"type": "classic"},
        "canceled_at": None,
        "completed_at": None,
        "created": created,
        "current_phase": {"start_date": current[0], "end_date": current[1]} if current else None,
        "customer": customer,
        "customer_account": None,
        "default_settings": {"billing_cycle_anchor": "automatic", "collection_method": "charge_automatically"},
        "end_behavior": "release",
        "livemode": False,
        "metadata": {},
        "phases": phases,
        "released_at": created if released else None,
        "released_subscription": subscription if released else None,
        "status": status,
        "subscription": None if released else subscription,
        "test_clock": None,
        **fields,
    }
