"""A subscription's status transitions, which billing, the clock, customers and the subscription routes all
cause: a new status (with its event and the customer's entitlements), and cancellation now."""

from __future__ import annotations

from ..errors import invalid_request
from ..params import Params, as_dict
from ..protocol import Fake
from ..resource import changing, emit
from ..store import StripeObject
from . import entitlements

ENDED = ("canceled", "incomplete_expired")


def set_status(fake: Fake, subscription: StripeObject, status: str) -> None:
    """Move the subscription to `status`: `customer.subscription.updated`, then the customer's entitlements."""
    with changing(fake, subscription):
        subscription["status"] = status
    entitlements.refresh(fake, subscription["customer"])


def cancel_subscription(
    fake: Fake, subscription: StripeObject, params: Params | None = None, reason: str = "cancellation_requested"
) -> StripeObject:
    """End the subscription now (`reason`: Stripe's `cancellation_details.reason`, `payment_failed` after the
    retries): `customer.subscription.deleted`, then the customer's entitlements."""
    params = params or {}
    if subscription["status"] in ENDED:
        raise invalid_request(f"No such subscription: '{subscription['id']}'", code="resource_missing")
    now = fake.now()
    details = as_dict(params, "cancellation_details")
    subscription.update(status="canceled", ended_at=now, canceled_at=subscription["canceled_at"] or now)
    subscription["cancellation_details"] = {
        "comment": details.get("comment") or subscription["cancellation_details"]["comment"],
        "feedback": details.get("feedback") or subscription["cancellation_details"]["feedback"],
        "reason": reason,
    }
    emit(fake, "deleted", subscription)
    entitlements.refresh(fake, subscription["customer"])
    return subscription
