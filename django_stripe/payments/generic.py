"""Retrieve, modify, delete and list any of the user's mirrored Stripe objects, with the ownership check.

`obj_cls` is the SDK's class (`stripe.Subscription`, `stripe.PaymentMethod`, `stripe.Invoice`, ...) or
the mirror model itself.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.db.models import QuerySet

from .. import signals
from ..models import Customer, Invoice, PaymentMethod, StripeObject, Subscription
from ..sync.mappers import as_payload
from . import params
from .access import customer_id_of
from .customers import check_customer_params
from .mirror import find_owned_row, mirror_stripe_object, remember_entitlements, service
from .params import forward_only
from .subscriptions import apply_subscription_change, checked_subscription_change, refuse_unpaid_change

MODELS: dict[Any, type[StripeObject]] = {
    stripe.Subscription: Subscription,
    stripe.PaymentMethod: PaymentMethod,
    stripe.Invoice: Invoice,
    stripe.Customer: Customer,
}
DELETE_SIGNALS = {Subscription: signals.subscription_cancelled, PaymentMethod: signals.payment_method_detached}
MODIFY_SIGNALS = {
    Subscription: signals.subscription_modified,
    PaymentMethod: signals.payment_method_modified,
    Customer: signals.customer_modified,
}


def list_customer_resource(billable: Any, obj_cls: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """The user's objects of that type from the mirror, newest first, filtered like Stripe's list
    parameters: `limit`, `status` (for subscriptions Stripe's rule: cancelled ones only when asked for),
    `subscription`, and any other top-level field of the object (e.g. `type="card"`)."""
    model = model_for(obj_cls)
    customer_id = customer_id_of(billable)
    if not customer_id:
        return []
    if model is Subscription:
        rows = Subscription.objects.with_status(kwargs.pop("status", None))
    else:
        rows = model.objects.live()
    rows = filter_like_stripe(rows.filter(**_owner_filter(model, customer_id)), **kwargs)
    return [row.stripe_data for row in rows]


def retrieve_customer_object(billable: Any, obj_cls: Any, obj_id: str) -> dict[str, Any]:
    """The user's object as last mirrored; StripeWrongCustomer when missing or someone else's."""
    return find_owned_row(billable, model_for(obj_cls), obj_id).stripe_data


def modify_customer_object(billable: Any, obj_cls: Any, obj_id: str, **kwargs: Any) -> dict[str, Any]:
    """Update the user's object at Stripe with `kwargs` and mirror the result. `kwargs` are checked as the
    object's own write checks them (`modify_subscription`, `modify_payment_method`, `modify_customer`; an
    invoice takes `description`, `footer` and `metadata`): anything else is a TypeError."""
    model = model_for(obj_cls)
    changes = CHANGE_CHECKS[model](billable, obj_id, kwargs)
    if model is Subscription:
        updated = apply_subscription_change(billable, obj_id, changes)
        payload = as_payload(updated)
    else:
        payload = mirror_stripe_object(service(model).update(obj_id, params=changes))
    if model in MODIFY_SIGNALS:
        MODIFY_SIGNALS[model].send(sender=billable.__class__, user=billable, obj=payload)
    if model is Subscription:
        refuse_unpaid_change(updated)
    return payload


def delete_customer_object(billable: Any, obj_cls: Any, obj_id: str) -> dict[str, Any]:
    """Delete the user's object the way Stripe does for its type: a subscription is cancelled, a payment
    method detached, anything else deleted."""
    model = model_for(obj_cls)
    row = find_owned_row(billable, model, obj_id)
    sdk = service(model)
    remove = {Subscription: "cancel", PaymentMethod: "detach"}.get(model, "delete")
    payload = mirror_stripe_object(getattr(sdk, remove)(obj_id))
    if model is Subscription:
        remember_entitlements(row.customer_id)
    if model in DELETE_SIGNALS:
        DELETE_SIGNALS[model].send(sender=billable.__class__, user=billable, obj=payload)
    return payload


def _checked_customer_change(billable: Any, obj_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    find_owned_row(billable, Customer, obj_id)
    check_customer_params(billable, changes)
    return changes


def _checked_by(allowed: frozenset[str], model: type[StripeObject]):
    def check(billable: Any, obj_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        forward_only("modify", changes, allowed)
        find_owned_row(billable, model, obj_id)
        return changes

    return check


CHANGE_CHECKS = {
    Subscription: checked_subscription_change,
    Customer: _checked_customer_change,
    PaymentMethod: _checked_by(params.PAYMENT_METHOD, PaymentMethod),
    Invoice: _checked_by(params.INVOICE, Invoice),
}


def model_for(obj_cls: Any) -> type[StripeObject]:
    if isinstance(obj_cls, type) and issubclass(obj_cls, StripeObject):
        return obj_cls
    try:
        return MODELS[obj_cls]
    except KeyError:
        raise TypeError(f"{obj_cls!r} is not a customer resource django-stripe mirrors") from None


def filter_like_stripe(rows: QuerySet, limit: int | None = None, **fields: Any) -> QuerySet:
    """`rows` newest first, filtered like Stripe's list parameters: at most `limit`; a field the mirror
    keeps as a column is filtered there (indexed), any other in the payload, a dict by its keys
    (`card={"brand": "visa"}`)."""
    columns = {field.name for field in rows.model._meta.concrete_fields}
    filters = {}
    for name, value in fields.items():
        filters.update({name: value} if name in columns else _payload_lookups(f"stripe_data__{name}", value))
    rows = rows.filter(**filters).order_by("-created", "-id")
    return rows[:limit] if limit else rows


def _payload_lookups(path: str, value: Any) -> dict[str, Any]:
    """`stripe_data__card`, {"brand": "visa"} -> {"stripe_data__card__brand": "visa"}."""
    if not isinstance(value, dict):
        return {path: value}
    lookups: dict[str, Any] = {}
    for key, item in value.items():
        lookups.update(_payload_lookups(f"{path}__{key}", item))
    return lookups


def _owner_filter(model: type[StripeObject], customer_id: str) -> dict[str, str]:
    return {"id": customer_id} if model is Customer else {"customer_id": customer_id}


# The names of 0.x, kept as aliases: `payments.retrieve/modify/delete` read as if they acted on payments.


def retrieve(billable: Any, obj_cls: Any, obj_id: str) -> dict[str, Any]:
    """Alias of `retrieve_customer_object` (its old name, kept)."""
    return retrieve_customer_object(billable, obj_cls, obj_id)


def modify(billable: Any, obj_cls: Any, obj_id: str, **kwargs: Any) -> dict[str, Any]:
    """Alias of `modify_customer_object` (its old name, kept)."""
    return modify_customer_object(billable, obj_cls, obj_id, **kwargs)


def delete(billable: Any, obj_cls: Any, obj_id: str) -> dict[str, Any]:
    """Alias of `delete_customer_object` (its old name, kept)."""
    return delete_customer_object(billable, obj_cls, obj_id)
