"""The subscription page (URL name `subscription-history`): the user's subscription (status, renewal or end
date, card), past subscriptions and invoices; cancel at period end, resume and change the card through the
REST API."""

from __future__ import annotations

from typing import Any

import stripe
from django.views.generic import TemplateView

from .. import payments
from ..models import Invoice, Price, Product, Subscription
from ..models.billing import ENDED_STATUSES
from .context import PortalMixin, optional_url
from .prices import format_amount, present_price

STATUS_LABELS = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Past due",
    "unpaid": "Unpaid",
    "incomplete": "Incomplete",
    "incomplete_expired": "Expired",
    "canceled": "Cancelled",
    "paused": "Paused",
}


class SubscriptionHistoryView(PortalMixin, TemplateView):
    """The user's subscription (status, renewal or end date, card), past subscriptions and invoices; cancel
    at period end, resume, and change the card."""

    template_name = "django_stripe/subscriptions.html"
    invoice_limit = 24

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.portal_context())
        customer_id = payments.customer_id_of(self.billable) or ""
        cards = {pm["id"]: present_card(pm) for pm in payments.list_payment_methods(self.billable)}
        default_card = next((card for card in cards.values() if card["default"]), None)
        rows = list(
            Subscription.objects.of_key_mode()
            .filter(customer_id=customer_id)
            .prefetch_related("items")
            .order_by("-created")
        )
        products = dict(
            Product.objects.filter(id__in={item.product_id for row in rows for item in row.items.all()}).values_list(
                "id", "name"
            )
        )
        subscriptions = [present_subscription(row, products, cards, default_card) for row in rows]
        current = next((s for s in subscriptions if not s["ended"]), None)
        if current is not None:
            row = next(row for row in rows if row.id == current["id"])
            current["scheduled_change"] = present_scheduled_change(row)
            current["change_url"] = optional_url(self.request, "subscription-change", subscription_id=current["id"])
        invoices = Invoice.objects.live().filter(customer_id=customer_id).order_by("-created", "-id")
        context.update(
            subscription=current,
            past_subscriptions=[s for s in subscriptions if s is not current],
            payment_method=(current and current["payment_method"]) or default_card,
            invoices=[present_invoice(row) for row in invoices[: self.invoice_limit]],
            usage=[present_usage(usage) for usage in payments.usage_this_period(self.billable)],
        )
        return context


def present_usage(usage: payments.Usage) -> dict[str, Any]:
    """One meter's usage this period as the page shows it: "API calls: 1,204 · $0.02 per unit / month · so far
    $24.08" (the amount so far only where the meter adds up, sum or count, and the price has a unit amount)."""
    price = usage.price.stripe_data if usage.price is not None else None
    unit_amount = (price or {}).get("unit_amount")
    adds_up = usage.meter.formula in ("sum", "count") and unit_amount is not None
    return {
        "meter": usage.meter.id,
        "name": usage.meter.display_name or usage.meter.event_name,
        "value": f"{usage.value:,.0f}" if usage.value == int(usage.value) else f"{usage.value:,}",
        "price": present_price(price) if price is not None else None,
        "so_far": format_amount(round(usage.value * unit_amount), price.get("currency")) if adds_up else "",
        "period_end": usage.period_end,
    }


def present_scheduled_change(row: Subscription) -> dict[str, Any] | None:
    """The change waiting for the subscription's renewal (a downgrade), as the page says it: "Changes to
    Starter on 7 Jan"; None when nothing waits."""
    if not (row.stripe_data or {}).get("schedule"):
        return None  # no query for the many subscriptions without a schedule
    change = row.scheduled_change()
    if not change:
        return None
    price = Price.objects.filter(id=change["price"]).select_related("product").first()
    product = price.product if price is not None else None
    return {
        "product_name": (product.name if product is not None else "") or change["price"],
        "price": present_price({"id": price.id, **price.stripe_data}) if price is not None else None,
        "quantity": change["quantity"],
        "at": change["at"],
    }


def present_card(payment_method: stripe.PaymentMethod | dict[str, Any]) -> dict[str, Any]:
    # payments.list_payment_methods answers Stripe's objects (with a `default` flag), which are not dicts.
    if isinstance(payment_method, stripe.StripeObject):
        payment_method = payment_method.to_dict()
    card = payment_method.get("card") or {}
    return {
        "id": payment_method["id"],
        "brand": (card.get("display_brand") or card.get("brand") or payment_method.get("type") or "").replace("_", " "),
        "last4": card.get("last4", ""),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "default": bool(payment_method.get("default")),
    }


def present_subscription(
    row: Subscription, products: dict[str, str], cards: dict[str, dict[str, Any]], default_card: dict | None
) -> dict[str, Any]:
    items = shown_items(row)
    price = (items[0].stripe_data.get("price") if items else None) or {}
    if not isinstance(price, dict):
        price = {}
    ended = row.ended
    ends_at = row.cancel_at or (row.current_period_end if row.cancel_at_period_end else None)
    payment_method_id = row.default_payment_method_id
    return {
        "id": row.id,
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status.replace("_", " ").capitalize()),
        "product_name": products.get(items[0].product_id, "") if items else "",
        "price": present_price({"id": price.get("id", ""), **price}) if price else None,
        "quantity": items[0].quantity if items else None,
        "created": row.created,
        "current_period_end": row.current_period_end,
        "trial_end": row.trial_end if row.status == "trialing" else None,
        "cancel_at_period_end": row.cancel_at_period_end,
        "ends_at": None if ended else ends_at,
        "renews_at": None if ended or ends_at else row.current_period_end,
        "ended_at": (row.ended_at or row.canceled_at) if ended else None,
        "ended": ended,
        "can_cancel": not ended and not ends_at and row.status not in ENDED_STATUSES,
        "can_resume": not ended and bool(row.cancel_at_period_end),
        "payment_method": cards.get(payment_method_id) if payment_method_id else default_card,
    }


def shown_items(row: Subscription) -> list[Any]:
    """The items a subscription is described by: its live ones; for one that ended, whose items were
    tombstoned with it, the ones it ended with (else the page could not say what it was)."""
    items = list(row.items.all())
    live = [item for item in items if not item.deleted]
    if live or not row.ended:
        return live
    listed = ((row.stripe_data or {}).get("items") or {}).get("data") or []
    ended_with = {item.get("id") for item in listed if isinstance(item, dict)}
    return [item for item in items if item.id in ended_with] or items


def present_invoice(row: Invoice) -> dict[str, Any]:
    data = row.stripe_data
    return {
        "id": row.id,
        "number": row.number or row.id,
        "created": row.created,
        "status": row.status or "",
        "amount": format_amount(row.amount_due if row.amount_paid in (None, 0) else row.amount_paid, row.currency),
        "hosted_invoice_url": data.get("hosted_invoice_url"),
        "invoice_pdf": data.get("invoice_pdf"),
    }
