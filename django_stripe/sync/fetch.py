"""Read from Stripe what an event or a page does not carry, as plain dicts, stamped on Stripe's clock.

The sync fetches only to settle a tie (two states stamped with the same second), when an event names an
object without carrying it (a checkout session's subscription), or when Stripe cut a list it embeds (a
subscription's items, an entitlement summary: `has_more`); it never walks relations recursively. Every
fetch backs off from 429 and 5xx like the backfill's pages, since it may run inside one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

import stripe

from ..client import get_client
from ..stripe_errors import is_missing
from .backoff import with_backoff
from .mappers import Payload, as_payload
from .paging import fetch_all
from .stamps import response_time, stamp_of, timed

# Stripe's `object` name -> the StripeClient service that reads and writes it (`client.v1.<service>`, dotted
# for a namespaced one: `billing.meters` is `client.v1.billing.meters`).
SERVICES = {
    "billing.meter": "billing.meters",
    "product": "products",
    "price": "prices",
    "customer": "customers",
    "payment_method": "payment_methods",
    "subscription": "subscriptions",
    "subscription_schedule": "subscription_schedules",
    "invoice": "invoices",
    # Read, never mirrored as rows: what a thin event of theirs names (webhooks/thin.py).
    "checkout.session": "checkout.sessions",
    "setup_intent": "setup_intents",
}


def sdk_service(object_name: str) -> Any:
    """The SDK service of an object type, e.g. `client.v1.subscriptions` for "subscription"."""
    return reduce(getattr, SERVICES[object_name].split("."), get_client().v1)


@dataclass(frozen=True)
class Fetched:
    """What Stripe answered: `payload` is None when the object no longer exists there."""

    payload: Payload | None
    stripe_time: datetime | None


def fetch_object(object_name: str, object_id: str) -> Fetched:
    """Retrieve `object_id`; a missing object (404) comes back as `Fetched(None, ...)`."""
    try:
        obj, elapsed = with_backoff(lambda: timed(lambda: sdk_service(object_name).retrieve(object_id)))
    except stripe.InvalidRequestError as error:
        if is_missing(error):
            return Fetched(None, response_time(error.headers))
        raise
    return Fetched(as_payload(obj), stamp_of(_headers(obj), elapsed))


def fetch_active_entitlements(customer_id: str) -> tuple[list[Payload], datetime]:
    """Every active entitlement of a customer (all pages), and the stamp of the first page."""
    return fetch_all("/v1/entitlements/active_entitlements", {"customer": customer_id})


def fetch_subscription_items(subscription_id: str) -> list[Payload] | None:
    """Every item of a subscription (all pages), or None when the subscription is gone at Stripe."""
    try:
        items, _ = fetch_all("/v1/subscription_items", {"subscription": subscription_id})
    except stripe.InvalidRequestError as error:
        if is_missing(error):
            return None
        raise
    return items


def _headers(obj: Any) -> Any:
    response = getattr(obj, "last_response", None)
    return response.headers if response is not None else None
