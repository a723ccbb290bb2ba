"""The user's own subscriptions and invoices as Stripe's payloads, newest first, each in one precompiled query
(see precompiled.py): what the REST lists answer from, without an ORM object per row. With `paginate` (see
pages.py), one page of them, taken in the query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from ..conf import key_livemode
from ..models import Invoice, Subscription
from .access import customer_id_of
from .pages import Paginate, page_of
from .precompiled import Precompiled

NEWEST_FIRST = ("-created", "-id")
# What a page's rows hold: the payload, and the columns of the order (a cursor's position is read from them).
PAGE_COLUMNS = ("stripe_data", "created", "id")


def subscription_payloads(
    billable: Any, status: str | None = None, *, paginate: Paginate | None = None
) -> list[dict[str, Any]]:
    """The user's subscriptions by Stripe's listing rule for `status` (`Subscription.objects.with_status`:
    cancelled ones only for "canceled" or "all"); no query for a user without customer. With `paginate`, the
    page it takes (see pages.py)."""
    customer_id = customer_id_of(billable)
    variant = (key_livemode(), status or None)
    page = page_of(paginate, lambda: _page_rows(customer_id, _subscriptions, variant, str(customer_id)))
    if page is not None:
        return [row["stripe_data"] for row in page]
    if not customer_id:
        return []
    return [payload for (payload,) in _SUBSCRIPTIONS.rows(variant, str(customer_id))]


def invoice_payloads(
    billable: Any, status: str | None = None, subscription_id: str | None = None, *, paginate: Paginate | None = None
) -> list[dict[str, Any]]:
    """The user's invoices, of one status and of one subscription when given; no query for a user without
    customer. With `paginate`, the page it takes (see pages.py)."""
    customer_id = customer_id_of(billable)
    variant = (key_livemode(), status or None, bool(subscription_id))
    values = [str(customer_id), *([str(subscription_id)] if subscription_id else [])]
    page = page_of(paginate, lambda: _page_rows(customer_id, _invoices, variant, *values))
    if page is not None:
        return [row["stripe_data"] for row in page]
    if not customer_id:
        return []
    return [payload for (payload,) in _INVOICES.rows(variant, *values)]


def _page_rows(customer_id: str | None, build: Callable[..., QuerySet], variant: tuple, *values: str) -> QuerySet:
    """The rows of `build` as a page is taken of them; none (and no query) for a user without customer."""
    rows = build(variant, *values)
    return rows.values(*PAGE_COLUMNS) if customer_id else rows.none()


def _subscriptions(variant: tuple, customer_id: str):
    rows = Subscription.objects.with_status(variant[1]).filter(customer_id=customer_id)
    return rows.order_by(*NEWEST_FIRST).values_list("stripe_data")


def _invoices(variant: tuple, customer_id: str, *subscription_id: str):
    _, status, _ = variant
    rows = Invoice.objects.live().filter(customer_id=customer_id)
    if status:
        rows = rows.filter(status=status)
    if subscription_id:
        rows = rows.filter(subscription_id=subscription_id[0])
    return rows.order_by(*NEWEST_FIRST).values_list("stripe_data")


# Variants: (key mode, status) and (key mode, status, of one subscription); with_status() and live() read the key
# mode again while compiling.
_SUBSCRIPTIONS = Precompiled(Subscription, _subscriptions)
_INVOICES = Precompiled(Invoice, _invoices)
