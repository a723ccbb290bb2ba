"""The subscription-mode Checkout Sessions this library opened and that may still make a subscription: recorded
when opened, expired at Stripe when a subscription they would duplicate (or a trial they carry) starts
elsewhere, closed by their webhooks (`checkout.session.completed` / `expired`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import stripe
from django.utils import timezone

from ..client import get_client
from ..models import OpenCheckout
from ..sync.mappers import ref_id


def record_open_checkout(session: stripe.checkout.Session, customer_id: str, product_ids: Iterable[str]) -> None:
    OpenCheckout.objects.create(
        id=session.id,
        customer_id=customer_id,
        product_ids=sorted(set(product_ids)),
        expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
    )


def open_checkouts(customer_id: str) -> list[OpenCheckout]:
    """The customer's sessions still open. Those Stripe has expired by now are forgotten here: their
    `checkout.session.expired` may not have arrived."""
    rows = OpenCheckout.objects.filter(customer_id=customer_id)
    for row in rows.filter(expires_at__lte=timezone.now()):
        OpenCheckout.objects.close(row.id)
    return list(rows.filter(expires_at__gt=timezone.now()))


def expire_checkout(session_id: str) -> str | None:
    """Expire the session at Stripe, so that it can no longer make a subscription. Returns the subscription
    it made if the customer completed it first (Stripe refuses to expire a complete session), else None."""
    sessions = get_client().v1.checkout.sessions
    try:
        session = sessions.expire(session_id)
    except stripe.InvalidRequestError:
        session = sessions.retrieve(session_id)  # complete, or expired already; anything else is raised below
        if session.status == "open":
            raise
    made = ref_id(session.subscription) if session.status == "complete" else None
    OpenCheckout.objects.close(session_id, made)
    return made
