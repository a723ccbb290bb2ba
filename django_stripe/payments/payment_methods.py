"""The user's payment methods: listed from the mirror, detached and changed through Stripe."""

from __future__ import annotations

from typing import Any

import stripe
from django.db.models import Exists, OuterRef, QuerySet

from .. import signals
from ..client import get_client
from ..conf import key_livemode, stripe_settings
from ..models import Customer, PaymentMethod
from . import params
from .access import customer_id_of
from .customers import modify_customer
from .generic import filter_like_stripe
from .mirror import find_owned_row, mirror_stripe_object
from .pages import Paginate, page_of
from .params import forward_only
from .precompiled import Precompiled


def list_payment_methods(billable: Any, types: list[str] | None = None, **kwargs: Any) -> list[stripe.PaymentMethod]:
    """The user's payment methods of `types` (default STRIPE_PAYMENT_METHOD_TYPES), newest first, as
    Stripe's objects with a `default` flag for the customer's default. One query, no API call.

    `kwargs` filter like Stripe's list parameters: `limit`, and any top-level field of the payment
    method (e.g. `allow_redisplay="always"`)."""
    return [
        stripe.PaymentMethod.construct_from(payload, None)
        for payload in payment_method_payloads(billable, types, **kwargs)
    ]


def payment_method_payloads(
    billable: Any, types: list[str] | None = None, *, paginate: Paginate | None = None, **kwargs: Any
) -> list[dict[str, Any]]:
    """What `list_payment_methods` lists, as the payload dicts (each with its `default` flag): in one query, the
    flag read by a subquery on the customer's row; none for a user without customer. With `paginate`, the page
    it takes (see pages.py)."""
    customer_id = customer_id_of(billable)
    variant = (
        key_livemode(),
        tuple(types or stripe_settings.STRIPE_PAYMENT_METHOD_TYPES),
        tuple(sorted(kwargs.items())),
    )
    page = page_of(paginate, lambda: _page_rows(variant, customer_id))
    if page is not None:
        return [{**row["stripe_data"], "default": row["flagged_default"]} for row in page]
    if not customer_id:
        return []
    rows = _FLAGGED_METHODS.rows(variant, str(customer_id))
    return [{**data, "default": flagged} for data, flagged in rows]


def _page_rows(variant: tuple, customer_id: str | None) -> QuerySet:
    """The flagged methods as a page is taken of them (with the columns of their order); none for a user without
    customer."""
    rows = _flagged_methods(variant, str(customer_id)).values("stripe_data", "flagged_default", "created", "id")
    return rows if customer_id else rows.none()


def _flagged_methods(variant: tuple, customer_id: str) -> QuerySet:
    _, types, filters = variant
    default = Customer.objects.filter(id=customer_id, default_payment_method_id=OuterRef("pk"))
    rows = _owned_methods(customer_id, list(types)).annotate(flagged_default=Exists(default))
    return filter_like_stripe(rows, **dict(filters)).values_list("stripe_data", "flagged_default")


# Variant: (key mode, types, Stripe-like filters); _owned_methods' live() reads the key mode again while compiling.
_FLAGGED_METHODS = Precompiled(PaymentMethod, _flagged_methods)


def retrieve_payment_method(billable: Any, pm_id: str) -> stripe.PaymentMethod:
    """One of the user's payment methods as mirrored, with its `default` flag; another customer's or a
    missing one raises StripeWrongCustomer. No API call."""
    row = find_owned_row(billable, PaymentMethod, pm_id, fetch_missing=False)
    return _with_default_flag(row.customer_id, [row])[0]


def detach_payment_method(billable: Any, pm_id: str) -> stripe.PaymentMethod:
    """Detach one of the user's payment methods. Another customer's or a missing one raises
    StripeWrongCustomer. payment_method_detached is sent."""
    find_owned_row(billable, PaymentMethod, pm_id)
    payment_method = _detach(pm_id)
    signals.payment_method_detached.send(sender=billable.__class__, user=billable, payment_methods=[payment_method])
    return payment_method


def detach_all_payment_methods(
    billable: Any, types: list[str] | None = None, **kwargs: Any
) -> list[stripe.PaymentMethod]:
    """Detach all the user's payment methods of `types` (`kwargs` filter them as in `list_payment_methods`);
    payment_method_detached is sent once."""
    ids = [payment_method.id for payment_method in list_payment_methods(billable, types, **kwargs)]
    detached = [_detach(pm_id) for pm_id in ids]
    if detached:
        signals.payment_method_detached.send(sender=billable.__class__, user=billable, payment_methods=detached)
    return detached


def modify_payment_method(
    billable: Any, obj_id: str, set_as_default: bool = False, **kwargs: Any
) -> stripe.PaymentMethod:
    """Change one of the user's payment methods (`kwargs`: Stripe's parameters among `params.PAYMENT_METHOD`,
    such as `billing_details`) and, with `set_as_default`, make it the customer's default for invoices and
    subscriptions."""
    forward_only("modify_payment_method", kwargs, params.PAYMENT_METHOD)
    find_owned_row(billable, PaymentMethod, obj_id)
    if set_as_default:
        modify_customer(billable, invoice_settings={"default_payment_method": obj_id})
    if kwargs:
        payment_method = get_client().v1.payment_methods.update(obj_id, params=kwargs)
        mirror_stripe_object(payment_method)
    else:
        payment_method = get_client().v1.payment_methods.retrieve(obj_id)
    signals.payment_method_modified.send(sender=billable.__class__, user=billable, payment_method=payment_method)
    return payment_method


def _owned_methods(customer_id: str, types: list[str] | None):
    types = list(types or stripe_settings.STRIPE_PAYMENT_METHOD_TYPES)
    return PaymentMethod.objects.live().filter(customer_id=customer_id, type__in=types)


def _with_default_flag(customer_id: str, rows) -> list[stripe.PaymentMethod]:
    default = Customer.objects.filter(id=customer_id).values_list("default_payment_method_id", flat=True).first()
    return [
        stripe.PaymentMethod.construct_from({**row.stripe_data, "default": row.id == default}, None) for row in rows
    ]


def _detach(pm_id: str) -> stripe.PaymentMethod:
    payment_method = get_client().v1.payment_methods.detach(pm_id)
    mirror_stripe_object(payment_method)
    return payment_method
