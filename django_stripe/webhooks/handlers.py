"""The built-in handlers: each event type -> the sync action that mirrors it.

Events carry the object's state at the event's `created` second, which is what the guarded upsert
compares; only events that name an object without carrying it (a checkout session's subscription, a
setup intent's payment method) or carry a list Stripe cut short (`has_more`: a subscription's items, an
entitlement summary) cost a fetch from Stripe.
"""

from __future__ import annotations

from typing import Any

from ..models import OpenCheckout, PaymentMethod, Subscription, WebhookEvent
from ..sync.entitlements import replace_entitlements, replace_entitlements_from_stripe
from ..sync.mappers import ref_id
from ..sync.upsert import MODELS_BY_OBJECT, upsert, upsert_from_stripe
from . import meter_errors as _meter_errors  # noqa: F401  (registers the meter error reports' handler)
from .linking import link_checkout_customer
from .registry import webhook_handler


def event_object(event: WebhookEvent) -> dict[str, Any]:
    """The object an event is about (`data.object`)."""
    return event.payload["data"]["object"]


@webhook_handler(
    "billing.meter.created",
    "billing.meter.updated",
    "billing.meter.deactivated",
    "billing.meter.reactivated",
    "product.*",
    "price.*",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.*",
    "subscription_schedule.*",
    "invoice.*",
    "payment_method.*",
)
def sync_event_object(event: WebhookEvent) -> None:
    """Mirror the object the event carries; `*.deleted` leaves a tombstone, a detached card no customer."""
    obj = event_object(event)
    model = MODELS_BY_OBJECT.get(obj.get("object", ""))
    if model is None or not obj.get("id"):
        return  # e.g. invoice.upcoming: a preview with no id, nothing to mirror
    upsert(model, obj, event.created, deleted=event.type.endswith(".deleted"))


# A batch of events mirrors only the newest state of each object (webhooks/batches.py): this handler may be
# left out for an event whose object has a newer state in the same batch.
sync_event_object.mirrors_event_object = True


@webhook_handler("checkout.session.completed")
def checkout_completed(event: WebhookEvent) -> None:
    """Link the customer to the user who checked out (when the session is vouched for: see linking.py), and
    mirror the subscription it started."""
    session = event_object(event)
    link_checkout_customer(session)
    mirror_reference(Subscription, session.get("subscription"), event)
    OpenCheckout.objects.close(session["id"], ref_id(session.get("subscription")))


@webhook_handler("checkout.session.expired")
def checkout_expired(event: WebhookEvent) -> None:
    """A session of ours can no longer make a subscription: a trial it carried is free again."""
    OpenCheckout.objects.close(event_object(event)["id"])


@webhook_handler("setup_intent.succeeded")
def setup_intent_succeeded(event: WebhookEvent) -> None:
    """Mirror the payment method the setup intent saved."""
    mirror_reference(PaymentMethod, event_object(event).get("payment_method"), event)


@webhook_handler("entitlements.active_entitlement_summary.updated")
def entitlements_updated(event: WebhookEvent) -> None:
    """The summary lists all of a customer's active entitlements: it replaces their set. When Stripe cut
    the list (`has_more`), the whole set is read from Stripe instead of writing a part of it."""
    summary = event_object(event)
    customer_id = ref_id(summary["customer"])
    entitlements = summary.get("entitlements") or {}
    if entitlements.get("has_more"):
        replace_entitlements_from_stripe(customer_id, not_before=event.created)
    else:
        replace_entitlements(customer_id, entitlements.get("data") or [], event.created)


def mirror_reference(model: type, reference: Any, event: WebhookEvent) -> None:
    """Mirror an object an event names: as expanded in the event, or fetched once when only its id is there."""
    if isinstance(reference, dict):
        upsert(model, reference, event.created)
    elif reference:
        upsert_from_stripe(model, reference, not_before=event.created)
