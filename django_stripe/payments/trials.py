"""Free trials are the project's decision, never the buyer's, and a customer has one.

A trial is granted by STRIPE_TRIAL_PERIOD_DAYS, or by the price's metadata `trial_period_days` (which wins,
"0" turning it off for that price), to a customer who never had one. It is reserved in our database when it
is granted (`TrialReservation`), under the customer's lock (`new_subscriptions.py`): by the subscription
that has it, or by the open Checkout Session that carries it, which is expired at Stripe before the trial is
granted anywhere else. The mirror's subscriptions with a `trial_start` count too (trials given before the
reservations existed, or outside this library).
"""

from __future__ import annotations

from ..conf import stripe_settings
from ..models import Price, Subscription, TrialReservation
from .open_checkouts import expire_checkout

TRIAL_METADATA_KEY = "trial_period_days"
MAX_TRIAL_DAYS = 730  # Stripe's own limit
TRIAL_PARAMS = frozenset({"trial_end", "trial_period_days"})


def project_trial(customer_id: str, price: Price) -> dict[str, int]:
    """The project's trial for a new subscription of this customer to `price` ({} for none). Call it under
    the customer's lock: a trial held by an open Checkout Session is taken back from it first."""
    days = configured_trial_days(price)
    if not days or not trial_available(customer_id):
        return {}
    return {"trial_period_days": days}


def trial_available(customer_id: str) -> bool:
    reservation = TrialReservation.objects.filter(customer_id=customer_id).first()
    if reservation is not None and not release_open_reservation(reservation):
        return False
    return not had_trial(customer_id)


def release_open_reservation(reservation: TrialReservation | None) -> bool:
    """Take the trial back from the open Checkout Session holding it, by expiring the session; False when the
    reservation is a subscription's, or the session was completed first (its subscription has the trial)."""
    if reservation is None or not reservation.held_by_open_checkout:
        return False
    return expire_checkout(reservation.checkout_session_id) is None


def reserve_trial(customer_id: str, *, subscription_id: str | None = None, checkout_session_id: str | None = None):
    """Record the trial as granted: to a subscription, or to the Checkout Session that carries it."""
    TrialReservation.objects.update_or_create(
        customer_id=customer_id,
        defaults={"subscription_id": subscription_id, "checkout_session_id": checkout_session_id},
    )


def had_trial(customer_id: str) -> bool:
    return Subscription.objects.of_key_mode().filter(customer_id=customer_id, trial_start__isnull=False).exists()


def trial_options(customer_id: str, trial: dict[str, int]) -> dict[str, str]:
    """The request options of a subscription created with the project's trial: an idempotency key of the
    customer's own, so that a request sent again after a crash (before its reservation was committed) gets
    the same subscription back from Stripe, not a second trial."""
    return {"idempotency_key": f"django-stripe-trial-{customer_id}"} if trial else {}


def configured_trial_days(price: Price) -> int | None:
    """The trial `price` is sold with, in days (None: no trial)."""
    configured = (price.metadata or {}).get(TRIAL_METADATA_KEY, stripe_settings.STRIPE_TRIAL_PERIOD_DAYS)
    try:
        days = int(configured or 0)
    except (TypeError, ValueError):
        return None
    return min(days, MAX_TRIAL_DAYS) if days > 0 else None
