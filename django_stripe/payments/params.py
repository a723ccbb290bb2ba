"""Which of Stripe's parameters each public write forwards.

A write's keyword arguments are Stripe's parameters, and whatever reaches them (a form, a request body passed
through) could change what is paid (`price_data`, `discounts`, `add_invoice_items`, `pause_collection`), whose
object it is (`customer`) or what Stripe answers (`expand`). So each write names the parameters it forwards;
anything else is a TypeError naming it, before any call to Stripe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .promotion_codes import promotion_codes_allowed

CUSTOMER = frozenset(
    {
        "address",
        "description",
        "email",
        "invoice_settings",
        "metadata",
        "name",
        "phone",
        "preferred_locales",
        "shipping",
    }
)
CUSTOMER_INVOICE_SETTINGS = frozenset({"custom_fields", "default_payment_method", "footer", "rendering_options"})
NEW_CUSTOMER = CUSTOMER | {"test_clock"}
PAYMENT_METHOD = frozenset({"allow_redisplay", "billing_details", "metadata"})
INVOICE = frozenset({"description", "footer", "metadata"})
SETUP_INTENT = frozenset({"automatic_payment_methods", "description", "metadata", "payment_method_types", "usage"})
CHECKOUT = frozenset(
    {
        "automatic_tax",
        "billing_address_collection",
        "cancel_url",
        "consent_collection",
        "currency",
        "custom_text",
        "customer_update",
        "expires_at",
        "line_items",
        "locale",
        "metadata",
        "mode",
        "payment_method_collection",
        "payment_method_types",
        "phone_number_collection",
        "return_url",
        "setup_intent_data",
        "submit_type",
        "subscription_data",
        "success_url",
        "tax_id_collection",
        "ui_mode",
    }
)
LINE_ITEM = frozenset({"price", "quantity"})
SUBSCRIPTION_DATA = frozenset({"description", "metadata", "trial_end", "trial_period_days"})
SETUP_INTENT_DATA = frozenset({"description", "metadata"})
# Trials given here are the calling code's decision; the REST API never forwards one (trials.py grants them).
NEW_SUBSCRIPTION = frozenset(
    {
        "cancel_at",
        "cancel_at_period_end",
        "default_payment_method",
        "description",
        "metadata",
        "off_session",
        "payment_behavior",
        "payment_settings",
        "proration_behavior",
        "trial_end",
        "trial_period_days",
    }
)
SUBSCRIPTION_CHANGE = frozenset(
    {
        "cancel_at",
        "cancel_at_period_end",
        "default_payment_method",
        "description",
        "items",
        "metadata",
        "off_session",
        "payment_behavior",
        "proration_behavior",
        "proration_date",
    }
)
SUBSCRIPTION_ITEM_CHANGE = frozenset({"deleted", "id", "metadata", "plan", "price", "quantity"})
DISCOUNTS = frozenset({"discounts"})


def forward_only(function: str, params: dict[str, Any] | None, allowed: Iterable[str]) -> None:
    """Raise TypeError naming every key of `params` that `function` does not forward to Stripe."""
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"{function}() takes a dict of Stripe's parameters")
    unknown = sorted(set(params or {}) - set(allowed))
    if unknown:
        raise TypeError(f"{function}() does not forward {', '.join(map(str, unknown))} to Stripe")


def with_discounts(allowed: frozenset[str]) -> frozenset[str]:
    """`allowed`, plus `discounts` when the project lets discounts be applied (STRIPE_ALLOW_PROMOTION_CODES)."""
    return allowed | DISCOUNTS if promotion_codes_allowed() else allowed


def each_entry(function: str, name: str, entries: Any, allowed: frozenset[str]) -> list[dict[str, Any]]:
    """The dicts of a list parameter (`items`, `line_items`), each holding only `allowed` keys."""
    if not isinstance(entries, list | tuple) or not all(isinstance(entry, dict) for entry in entries):
        raise TypeError(f"{function}() takes {name} as a list of dicts")
    for entry in entries:
        forward_only(f"{function}() {name}", entry, allowed)
    return list(entries)
