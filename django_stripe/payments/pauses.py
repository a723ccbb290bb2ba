"""Pausing the collection of a subscription's payments (Stripe's `pause_collection`), and unpausing it.

A paused subscription stays `active` at Stripe; its renewal invoices are voided, left as drafts or marked
uncollectible (STRIPE_PAUSE_BEHAVIOR, or the caller's `behavior`). Because nothing is being paid, a paused
subscription gives no access unless the project chooses otherwise (STRIPE_ACCESS_WHILE_PAUSED, read by
access.py). ("resume_subscription" is the older undoing of `cancel_subscription_at_period_end`.)
"""

from __future__ import annotations

from typing import Any

import stripe

from .. import signals
from ..client import get_client
from ..conf import PAUSE_BEHAVIORS, stripe_settings
from ..exceptions import StripeNotConfigured, StripeRequestRefused
from ..models import Subscription
from .mirror import find_owned_row, mirror_stripe_object, remember_entitlements


def pause_subscription(billable: Any, subscription_id: str, behavior: str | None = None) -> stripe.Subscription:
    """Pause the collection of the user's subscription: its invoices are handled by `behavior` ("void",
    "keep_as_draft" or "mark_uncollectible"; STRIPE_PAUSE_BEHAVIOR when omitted) until it is unpaused.
    Someone else's subscription is StripeWrongCustomer. subscription_modified is sent."""
    behavior = behavior if behavior is not None else configured_pause_behavior()
    if behavior not in PAUSE_BEHAVIORS:
        raise StripeRequestRefused(f"A pause behavior is one of {', '.join(PAUSE_BEHAVIORS)}, not {behavior!r}.")
    return _set_pause(billable, subscription_id, {"behavior": behavior})


def unpause_subscription(billable: Any, subscription_id: str) -> stripe.Subscription:
    """Collect the user's paused subscription's payments again (and with them, give access again).
    subscription_modified is sent."""
    return _set_pause(billable, subscription_id, "")  # Stripe's way of unsetting a parameter


def configured_pause_behavior() -> str:
    """STRIPE_PAUSE_BEHAVIOR, or StripeNotConfigured for a value Stripe does not take (check E009 says so too)."""
    behavior = stripe_settings.STRIPE_PAUSE_BEHAVIOR
    if behavior not in PAUSE_BEHAVIORS:
        raise StripeNotConfigured(f"STRIPE_PAUSE_BEHAVIOR is {behavior!r}: it must be one of {PAUSE_BEHAVIORS}.")
    return behavior


def _set_pause(billable: Any, subscription_id: str, pause_collection: dict[str, str] | str) -> stripe.Subscription:
    row = find_owned_row(billable, Subscription, subscription_id)
    subscription = get_client().v1.subscriptions.update(subscription_id, params={"pause_collection": pause_collection})
    mirror_stripe_object(subscription)
    remember_entitlements(row.customer_id)
    signals.subscription_modified.send(sender=billable.__class__, user=billable, subscription=subscription)
    return subscription
