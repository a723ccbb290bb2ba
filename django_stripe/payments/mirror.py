"""The two things every write shares: finding the user's own row (`find_owned_row`), and mirroring what
Stripe returned (`mirror_stripe_object`)."""

from __future__ import annotations

import logging
from typing import Any

import stripe

from ..conf import key_livemode
from ..exceptions import StripeWrongCustomer
from ..models import StripeObject
from ..sync.entitlements import replace_entitlements
from ..sync.fetch import fetch_active_entitlements, fetch_object, sdk_service
from ..sync.mappers import as_payload
from ..sync.stamps import stamp_of
from ..sync.upsert import MODELS_BY_OBJECT, upsert
from .access import customer_id_of

logger = logging.getLogger(__name__)


def mirror_stripe_object(
    stripe_object: stripe.StripeObject | dict[str, Any], *, answered_by: stripe.StripeObject | None = None
) -> dict[str, Any]:
    """Write an object Stripe just returned into the mirror, so the user reads their own write at once.

    `answered_by`: the object whose response carried this one (an expanded field, e.g. a subscription's
    `latest_invoice`), so that it is stamped with that response's Date too, not with our own clock."""
    payload = as_payload(stripe_object)
    model = MODELS_BY_OBJECT.get(payload.get("object"))
    if model is not None:
        response = getattr(answered_by if answered_by is not None else stripe_object, "last_response", None)
        # The response's Date (Stripe's clock, whole seconds like events), not less the call's time as a fetch
        # is (the caller timed nothing): a write is answered as it ends, and `fresh` wins a same-second tie.
        fetched_at = stamp_of(response.headers if response else None)
        upsert(model, payload, fetched_at, deleted=bool(payload.get("deleted")), fresh=True)
    return payload


def remember_entitlements(customer_id: str | None) -> None:
    """Mirror the customer's active entitlements as Stripe has them right after one of their own writes (a
    subscription started, changed or cancelled), so that `has_entitlement` follows the write at once instead
    of waiting for the entitlement summary's webhook. The write is done: Stripe failing this read fails
    nothing (logged; the summary's webhook brings the set)."""
    if not customer_id:
        return
    try:
        entitlements, stripe_time = fetch_active_entitlements(customer_id)
    except stripe.StripeError as error:
        logger.warning("Entitlements of %s not read back after a write: %s", customer_id, type(error).__name__)
        return
    replace_entitlements(customer_id, entitlements, stripe_time)


def find_owned_row(billable: Any, model: type[StripeObject], obj_id: str, fetch_missing: bool = True) -> StripeObject:
    """The mirrored object `obj_id` if it belongs to the user's customer (tombstones included: a cancelled
    subscription is still the user's to read).

    With `fetch_missing`, an object not mirrored yet (its webhook still on the way) is fetched once from
    Stripe and mirrored: writes use it. Reads leave it False, so that no read costs an API call. A
    missing object, another customer's and one of the other mode than the key's raise the same
    StripeWrongCustomer with the same message, so ids cannot be probed.
    """
    customer_id = customer_id_of(billable)
    row = None
    if customer_id and obj_id:
        row = model.objects.filter(id=obj_id).first()
        if row is None and fetch_missing:
            row = fetch_unmirrored(model, obj_id)
    if row is None or not _of_key_mode(row) or _owner(row) != customer_id:
        raise StripeWrongCustomer(f"No such {model.stripe_object_name}: '{obj_id}'")
    return row


def service(model: type[StripeObject]) -> Any:
    """The SDK service of a mirrored model, e.g. `client.v1.subscriptions` for Subscription."""
    return sdk_service(model.stripe_object_name)


def _of_key_mode(row: StripeObject) -> bool:
    """Whether the row is of STRIPE_SECRET_KEY's mode (any row when no mode is known). A row of the other
    mode is not the key's to read or change: the key's Stripe does not know it."""
    livemode = key_livemode()
    return livemode is None or row.livemode == livemode


def _owner(row: StripeObject) -> str | None:
    return row.id if row.stripe_object_name == "customer" else getattr(row, "customer_id", None)


def fetch_unmirrored(model: type[StripeObject], obj_id: str) -> StripeObject | None:
    """Read an object not mirrored yet from Stripe, as the sync reads one (stamped when the request was sent,
    backing off from 429 and 5xx), and mirror it. A 404 leaves no tombstone row (as `upsert_from_stripe`
    would): the id comes from a user, who may have made it up."""
    fetched = fetch_object(model.stripe_object_name, obj_id)
    if fetched.payload is None:
        return None
    upsert(model, fetched.payload, fetched.stripe_time or stamp_of(None), fresh=True)
    return model.objects.filter(id=obj_id).first()


# The names of 0.x, still importable from `django_stripe.payments` (no longer in its `__all__`): they said
# neither what they act on nor that they are the library's internals.
remember = mirror_stripe_object
owned = find_owned_row
