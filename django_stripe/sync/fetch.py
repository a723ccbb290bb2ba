"""Read one object from Stripe, as a plain dict, with the time on Stripe's clock when it was read.

The sync fetches only to settle a tie (two states stamped with the same second) or when an event names an
object without carrying it (a checkout session's subscription); it never walks relations recursively.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import stripe

from ..client import get_client
from .mappers import Payload, as_payload

# Stripe's `object` name -> the StripeClient service that reads and writes it (`client.v1.<service>`).
SERVICES = {
    "product": "products",
    "price": "prices",
    "customer": "customers",
    "payment_method": "payment_methods",
    "subscription": "subscriptions",
    "invoice": "invoices",
}


def sdk_service(object_name: str) -> Any:
    """The SDK service of an object type, e.g. `client.v1.subscriptions` for "subscription"."""
    return getattr(get_client().v1, SERVICES[object_name])


@dataclass(frozen=True)
class Fetched:
    """What Stripe answered: `payload` is None when the object no longer exists there."""

    payload: Payload | None
    stripe_time: datetime | None


def fetch_object(object_name: str, object_id: str) -> Fetched:
    """Retrieve `object_id`; a missing object (404) comes back as `Fetched(None, ...)`."""
    try:
        obj = sdk_service(object_name).retrieve(object_id)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404 or error.code == "resource_missing":
            return Fetched(None, response_time(error.headers))
        raise
    return Fetched(as_payload(obj), response_time(_headers(obj)))


def fetch_active_entitlements(customer_id: str) -> tuple[list[Payload], datetime | None]:
    """Every active entitlement of a customer (all pages), and Stripe's time of the first page."""
    page = get_client().v1.entitlements.active_entitlements.list({"customer": customer_id, "limit": 100})
    items = [as_payload(entitlement) for entitlement in page.auto_paging_iter()]
    return items, response_time(_headers(page))


def _headers(obj: Any) -> Any:
    response = getattr(obj, "last_response", None)
    return response.headers if response is not None else None


def response_time(headers: Any) -> datetime | None:
    """The `Date` header of a Stripe response: the fetch time on Stripe's clock, not ours."""
    if not headers:
        return None
    value = next((v for k, v in dict(headers).items() if k.lower() == "date"), None)
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    # HTTP dates are GMT; a value the parser leaves naive (e.g. two Date headers joined by a comma) is too.
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when
