"""The floor of the REST benchmark: each list answered by a bare Django view, with no DRF.

Plain function views behind the same middleware and session login as the API: they read the same rows with
`.values()` and return the same JSON (`bench_rest.py` checks it, list by list, before it measures) through
`JsonResponse`. No serializer, no content negotiation, no filters, no throttle: what Django itself costs
for these answers. The benchmark's key is a test key, so the rows read are those of livemode false, as
the API reads them. Served with the example project by `benchmarks.bench_settings`; never part of the
package.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.http import JsonResponse

from django_stripe.models import Customer, Invoice, PaymentMethod, Price, Product, Subscription, SubscriptionItem
from django_stripe.payments.products import PRICE_FIELDS, PRODUCT_FIELDS

LIVEMODE = False
ACCESS_STATUSES = ("active", "trialing")
INVOICE_FIELDS = (
    "id",
    "number",
    "status",
    "currency",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "billing_reason",
    "created",
    "hosted_invoice_url",
    "invoice_pdf",
    "next_payment_attempt",
)
PAYMENT_METHOD_FIELDS = ("id", "type", "billing_details", "card", "created")
NOT_SUBSCRIBED = {"subscribed": False, "cancel_at": None, "current_period_end": None}


def products(request):
    if not request.user.is_authenticated:
        return _refused()
    access = _access(request.user.stripe_customer_id)
    prices = defaultdict(list)
    for row in _prices():
        prices[row["product_id"]].append(_price(row, access))
    rows = Product.objects.filter(active=True, deleted=False, livemode=LIVEMODE).order_by("created", "id")
    return _json(
        [
            {
                **_fields(row["stripe_data"], PRODUCT_FIELDS),
                "prices": prices[row["id"]],
                "subscription_info": access.get(row["id"], NOT_SUBSCRIBED),
            }
            for row in rows.values("id", "stripe_data")
        ]
    )


def prices(request):
    if not request.user.is_authenticated:
        return _refused()
    access = _access(request.user.stripe_customer_id)
    return _json([_price(row, access) for row in _prices()])


def subscriptions(request):
    if not request.user.is_authenticated:
        return _refused()
    rows = (
        Subscription.objects.filter(customer_id=request.user.stripe_customer_id, livemode=LIVEMODE)
        .exclude(status="canceled")
        .filter(Q(deleted=False) | Q(status="incomplete_expired"))
        .order_by("-created", "-id")
        .values(
            "stripe_data",
            "current_period_start",
            "current_period_end",
            "default_payment_method_id",
            "latest_invoice_id",
        )
    )
    return _json([_subscription(row) for row in rows])


def invoices(request):
    if not request.user.is_authenticated:
        return _refused()
    rows = Invoice.objects.filter(customer_id=request.user.stripe_customer_id, deleted=False, livemode=LIVEMODE)
    return _json(
        [
            {**_fields(row["stripe_data"], INVOICE_FIELDS), "subscription": row["subscription_id"]}
            for row in rows.order_by("-created", "-id").values("stripe_data", "subscription_id")
        ]
    )


def payment_methods(request):
    if not request.user.is_authenticated:
        return _refused()
    customer_id = request.user.stripe_customer_id
    default = Customer.objects.filter(id=customer_id).values_list("default_payment_method_id", flat=True).first()
    rows = PaymentMethod.objects.filter(customer_id=customer_id, type="card", deleted=False, livemode=LIVEMODE)
    return _json(
        [
            {**_fields(row["stripe_data"], PAYMENT_METHOD_FIELDS), "default": row["id"] == default}
            for row in rows.order_by("-created", "-id").values("id", "stripe_data")
        ]
    )


def _prices():
    rows = Price.objects.filter(active=True, deleted=False, livemode=LIVEMODE).order_by("unit_amount", "id")
    return rows.values("id", "product_id", "stripe_data")


def _price(row: dict[str, Any], access: dict[str, dict]) -> dict[str, Any]:
    return {**_fields(row["stripe_data"], PRICE_FIELDS), "subscription_info": access.get(row["id"], NOT_SUBSCRIBED)}


def _access(customer_id: str | None) -> dict[str, dict]:
    """Subscription info by product id and by price id, from the items of subscriptions granting access."""
    if not customer_id:
        return {}
    rows = SubscriptionItem.objects.filter(
        deleted=False,
        subscription__customer_id=customer_id,
        subscription__status__in=ACCESS_STATUSES,
        subscription__deleted=False,
        subscription__livemode=LIVEMODE,
    ).values(
        "product_id",
        "price_id",
        "subscription__cancel_at",
        "subscription__cancel_at_period_end",
        "subscription__current_period_end",
    )
    access: dict[str, dict] = {}
    for row in rows:
        period_end = row["subscription__current_period_end"]
        cancel_at = row["subscription__cancel_at"] or (
            period_end if row["subscription__cancel_at_period_end"] else None
        )
        info = {"subscribed": True, "cancel_at": _epoch(cancel_at), "current_period_end": _epoch(period_end)}
        access.setdefault(row["product_id"], info)
        access.setdefault(row["price_id"], info)
    return access


def _subscription(row: dict[str, Any]) -> dict[str, Any]:
    data = row["stripe_data"]
    items = data["items"]["data"]
    item = items[0] if items else {}
    price = item.get("price") or {}
    return {
        "id": data["id"],
        "created": data.get("created"),
        "status": data["status"],
        "product": price.get("product"),
        "price": price.get("id"),
        "quantity": item.get("quantity"),
        "cancel_at": data.get("cancel_at"),
        "cancel_at_period_end": data.get("cancel_at_period_end"),
        "canceled_at": data.get("canceled_at"),
        "current_period_start": _epoch(row["current_period_start"]),
        "current_period_end": _epoch(row["current_period_end"]),
        "days_until_due": data.get("days_until_due"),
        "default_payment_method": row["default_payment_method_id"],
        "latest_invoice": row["latest_invoice_id"],
        "start_date": data.get("start_date"),
        "trial_start": data.get("trial_start"),
        "trial_end": data.get("trial_end"),
    }


def _fields(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data.get(name) for name in names}


def _epoch(moment) -> int | None:
    return int(moment.timestamp()) if moment else None


def _json(data: list) -> JsonResponse:
    # The API's JSON renderer writes compact JSON, UTF-8 unescaped: the same bytes to send.
    return JsonResponse(data, safe=False, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False})


def _refused() -> JsonResponse:
    return JsonResponse({"detail": "Authentication credentials were not provided."}, status=403)
