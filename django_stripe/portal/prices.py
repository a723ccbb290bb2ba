"""Amounts and prices as the pages show them: `$10.00 / month`."""

from __future__ import annotations

from typing import Any

# Stripe's zero-decimal currencies: amounts are whole units.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def format_amount(amount: int | None, currency: str | None) -> str:
    """Minor units as a price: `1000, "usd"` -> `$10.00`; zero-decimal currencies are whole units."""
    if amount is None:
        return ""
    currency = (currency or "").lower()
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}".strip()


def format_interval(recurring: dict[str, Any] | None) -> str:
    """`{"interval": "month", "interval_count": 3}` -> `every 3 months`; monthly -> `month`."""
    if not recurring or not recurring.get("interval"):
        return ""
    interval, count = recurring["interval"], int(recurring.get("interval_count") or 1)
    return interval if count == 1 else f"{count} {interval}s"


def present_price(price: dict[str, Any]) -> dict[str, Any]:
    """What a price card shows, from a price payload (with `subscription_info` when listed for a user)."""
    metadata = price.get("metadata") or {}
    interval = format_interval(price.get("recurring"))
    amount = format_amount(price.get("unit_amount"), price.get("currency"))
    if is_metered(price):
        amount = f"{amount} per unit"  # billed in arrears for what its meter counted
    return {
        "id": price["id"],
        "header": metadata.get("price_header") or price.get("nickname") or "",
        "amount": amount,
        "interval": interval,
        "label": f"{amount} / {interval}" if interval else amount,
        "additional_info": metadata.get("additional_info", ""),
        "more_additional_info": metadata.get("more_additional_info", ""),
        "currency": (price.get("currency") or "").upper(),
        "subscribed": bool((price.get("subscription_info") or {}).get("subscribed")),
        "metered": is_metered(price),
    }


def is_metered(price: dict[str, Any]) -> bool:
    """Whether the price bills usage (`recurring.usage_type` "metered") rather than a quantity."""
    return (price.get("recurring") or {}).get("usage_type") == "metered"
