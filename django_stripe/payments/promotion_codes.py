"""Promotion codes, the project's decision (STRIPE_ALLOW_PROMOTION_CODES): whether a buyer may give one, and
how one given reaches Stripe. Every write and page that could take a code asks here."""

from __future__ import annotations

from typing import Any

from ..conf import stripe_settings
from ..exceptions import StripeRequestRefused

REFUSED = "Promotion codes are not accepted."


def promotion_codes_allowed() -> bool:
    """Whether buyers may apply promotion codes (read at each call: a project may change the setting)."""
    return bool(stripe_settings.STRIPE_ALLOW_PROMOTION_CODES)


def check_promotion_code(code: str) -> str:
    """`code` when the project takes promotion codes, else StripeRequestRefused (400 over REST, its message
    under the field's name)."""
    if not promotion_codes_allowed():
        raise StripeRequestRefused(REFUSED)
    return code


def discounts_for(code: str | None) -> dict[str, Any]:
    """Stripe's `discounts` parameter applying the (checked) promotion code `code`; nothing without one."""
    return {} if code is None else {"discounts": [{"promotion_code": check_promotion_code(code)}]}
