"""Free trials are the project's decision, never the buyer's.

A trial is granted by STRIPE_TRIAL_PERIOD_DAYS, or by the price's metadata `trial_period_days` (which wins,
"0" turning it off for that price), and only to a customer who never had one: the mirror keeps every
subscription the customer ever had, tombstones included, with its `trial_start`.
"""

from __future__ import annotations

from ..conf import stripe_settings
from ..models import Price, Subscription

TRIAL_METADATA_KEY = "trial_period_days"
MAX_TRIAL_DAYS = 730  # Stripe's own limit
TRIAL_PARAMS = frozenset({"trial_end", "trial_period_days"})


def granted_trial(customer_id: str, price: Price) -> dict[str, int]:
    """The trial parameter of a new subscription of this customer to `price`: {} for no trial."""
    days = _configured_days(price)
    if not days or had_trial(customer_id):
        return {}
    return {"trial_period_days": days}


def had_trial(customer_id: str) -> bool:
    return Subscription.objects.of_key_mode().filter(customer_id=customer_id, trial_start__isnull=False).exists()


def trial_options(customer_id: str, trial: dict[str, int]) -> dict[str, str]:
    """The request options of a subscription created with the project's trial: an idempotency key of the
    customer's own, so that two requests at once (neither yet seeing the other's trial in the mirror) create
    one trial subscription at Stripe, not two; a second request for another price is refused by Stripe."""
    return {"idempotency_key": f"django-stripe-trial-{customer_id}"} if trial else {}


def _configured_days(price: Price) -> int | None:
    configured = (price.metadata or {}).get(TRIAL_METADATA_KEY, stripe_settings.STRIPE_TRIAL_PERIOD_DAYS)
    try:
        days = int(configured or 0)
    except (TypeError, ValueError):
        return None
    return min(days, MAX_TRIAL_DAYS) if days > 0 else None
