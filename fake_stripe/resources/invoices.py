"""Invoices: made by subscriptions, their updates and renewals, finalized (the customer's balance applied),
paid or failed, voided (with their events); retrieve, list, lines and void. Paying one over the API is
`invoice_payments`."""

from __future__ import annotations

from typing import Any

from ..clock import DAY
from ..dunning import next_attempt
from ..errors import invalid_request
from ..lists import Check, list_of
from ..params import Params, one_of
from ..protocol import Fake
from ..resource import Resource, changing, created_between, equal
from ..routing import Request
from ..shapes import build
from ..store import StripeObject
from .catalog import is_metered
from .common import base_url
from .invoice_items import line_of
from .meter_usage import usage_of
from .payment_methods import card_behaviour

STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def _of_subscription(params: Params) -> Check | None:
    """`subscription=sub_...`: the invoices billing that subscription (named under `parent` since 2025-03-31)."""
    subscription_id = params.get("subscription")
    if not subscription_id:
        return None
    return lambda invoice: invoice["parent"]["subscription_details"]["subscription"] == subscription_id


invoices = Resource(
    "invoice",
    "/v1/invoices",
    filters=(
        created_between(),
        equal("customer"),
        equal("status", lambda params, name: one_of(params, name, STATUSES)),
        _of_subscription,
    ),
)


def create_invoice(
    fake: Fake,
    subscription: StripeObject,
    billing_reason: str,
    period: tuple[int, int],
    lines_period: tuple[int, int],
    free: bool = False,
    invoice_items: list[StripeObject] | tuple[()] = (),
    bill_items: bool = True,
    usage_period: tuple[int, int] | None = None,
) -> StripeObject:
    """A draft invoice taking in `invoice_items` (first), then billing the subscription's items for
    `lines_period` (free during a trial; not at all without `bill_items`), its metered items for their usage
    in `usage_period` (a renewal's: the period that ended)."""
    invoice_id = fake.store.new_id("in_", 24)
    lines = [line_of(fake, item, invoice_id) for item in invoice_items]
    if bill_items:
        lines += subscription_lines(fake, subscription, invoice_id, lines_period, free, usage_period)
    invoice = invoice_object(fake, subscription, invoice_id, billing_reason, period, lines)
    fake.store.add(invoice)
    subscription["latest_invoice"] = invoice_id
    return invoice


def subscription_lines(
    fake: Fake,
    subscription: StripeObject,
    invoice_id: str,
    lines_period: tuple[int, int],
    free: bool = False,
    usage_period: tuple[int, int] | None = None,
) -> list[StripeObject]:
    """The invoice lines billing each of the subscription's licensed items in full for `lines_period`, and each
    metered item in arrears: its meter's usage in `usage_period` (none without one) at the price."""
    store = fake.store
    lines = []
    for item in subscription["items"]["data"]:
        price = item["price"]
        unit_amount = 0 if free else price["unit_amount"]
        quantity: float = item["quantity"]
        period = lines_period
        if is_metered(price):
            period = usage_period or (lines_period[0], lines_period[0])
            quantity = metered_quantity(fake, price, subscription["customer"], period)
        amount = round(unit_amount * quantity)
        product = store.get(price["product"]) or {"name": price["product"]}
        shown = int(quantity) if quantity == int(quantity) else quantity
        description = f"{shown} × {product['name']}" + (" (trial)" if free else "")
        lines.append(
            build(
                "line_item",
                amount=amount,
                currency=price["currency"],
                description=description,
                discount_amounts=[],
                discountable=True,
                discounts=[],
                id=store.new_id("il_", 24),
                invoice=invoice_id,
                livemode=False,
                metadata={},
                parent={
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription["id"],
                        "subscription_item": item["id"],
                    },
                    "type": "subscription_item_details",
                },
                period={"end": period[1], "start": period[0]},
                pretax_credit_amounts=[],
                pricing={
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "type": "price_details",
                    "unit_amount_decimal": str(unit_amount),
                },
                quantity=int(quantity),
                quantity_decimal=str(shown),
                subscription=subscription["id"],
                subtotal=amount,
                taxes=[],
            )
        )
    return lines


def metered_quantity(fake: Fake, price: StripeObject, customer: str, period: tuple[int, int]) -> float:
    """The usage a metered price bills `customer` for `period`: what its meter counted then."""
    meter = fake.store.get(price["recurring"]["meter"] or "")
    return usage_of(fake, meter, customer, *period) if meter else 0.0


def invoice_object(
    fake: Fake,
    subscription: StripeObject,
    invoice_id: str | None,
    billing_reason: str,
    period: tuple[int, int],
    lines: list[StripeObject],
) -> StripeObject:
    """A draft invoice of the subscription with `lines`, not stored (a preview is never stored)."""
    customer = fake.store.get(subscription["customer"])
    total = sum(line["amount"] for line in lines)
    invoice = build(
        "invoice",
        account_country="US",
        account_name="Fake Stripe",
        account_tax_ids=None,
        amount_due=max(total, 0),  # a credit is never due: finalizing gives it to the customer's balance
        amount_overpaid=0,
        amount_paid=0,
        amount_remaining=max(total, 0),
        amount_shipping=0,
        application=None,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None},
        automatically_finalizes_at=None,
        billing_reason=billing_reason,
        collection_method=subscription["collection_method"],
        created=fake.now(),
        currency=subscription["currency"],
        custom_fields=None,
        customer=subscription["customer"],
        customer_account=None,
        customer_address=customer.get("address") if customer else None,
        customer_email=customer.get("email") if customer else None,
        customer_name=customer.get("name") if customer else None,
        customer_phone=customer.get("phone") if customer else None,
        customer_shipping=customer.get("shipping") if customer else None,
        customer_tax_exempt=customer.get("tax_exempt", "none") if customer else "none",
        customer_tax_ids=[],
        default_payment_method=None,
        default_source=None,
        default_tax_rates=[],
        description=None,
        discounts=[],
        due_date=None,
        effective_at=None,
        ending_balance=None,
        footer=None,
        from_invoice=None,
        hosted_invoice_url=None,
        id=invoice_id,
        invoice_pdf=None,
        issuer={"type": "self"},
        last_finalization_error=None,
        latest_revision=None,
        lines={"data": lines, "has_more": False, "object": "list", "url": f"/v1/invoices/{invoice_id}/lines"},
        livemode=False,
        metadata={},
        next_payment_attempt=None,
        number=None,
        on_behalf_of=None,
        parent={
            "quote_details": None,
            "subscription_details": {"metadata": dict(subscription["metadata"]), "subscription": subscription["id"]},
            "type": "subscription_details",
        },
        payment_settings={"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        period_end=period[1],
        period_start=period[0],
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        receipt_number=None,
        rendering=None,
        shipping_cost=None,
        shipping_details=None,
        starting_balance=0,
        statement_descriptor=None,
        status="draft",
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        subtotal=total,
        subtotal_excluding_tax=total,
        test_clock=None,
        total=total,
        total_discount_amounts=[],
        total_excluding_tax=total,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        webhooks_delivered_at=None,
    )
    return invoice


def finalize_invoice(fake: Fake, invoice: StripeObject) -> None:
    """Number the invoice and apply the customer's balance: a credit (negative) lowers what is due, a debt adds
    to it, and a negative total is credited to the balance; `invoice.finalized`, then `customer.updated` when
    the balance moved."""
    now = fake.now()
    customer = fake.store.get(invoice["customer"])
    sequence = 1
    live = customer is not None and not customer.get("deleted")
    if live:
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
    prefix = customer.get("invoice_prefix", "FAKE") if customer else "FAKE"
    balance = customer["balance"] if live else 0
    settled = invoice["total"] + balance
    invoice.update(
        status="open",
        number=f"{prefix}-{sequence:04d}",
        effective_at=now,
        starting_balance=balance,
        ending_balance=min(settled, 0),
        amount_due=max(settled, 0),
        amount_remaining=max(settled, 0),
        hosted_invoice_url=f"{base_url(fake, 'https://invoice.stripe.com')}/i/{invoice['id']}",
        invoice_pdf=f"{base_url(fake, 'https://pay.stripe.com')}/invoice/{invoice['id']}/pdf",
        webhooks_delivered_at=now,
    )
    invoice["status_transitions"]["finalized_at"] = now
    if invoice["collection_method"] == "send_invoice":
        invoice["due_date"] = now + 30 * DAY
    invoices.emit(fake, "finalized", invoice)
    if live and balance != invoice["ending_balance"]:
        with changing(fake, customer):
            customer["balance"] = invoice["ending_balance"]


def payment_method_for(fake: Fake, invoice: StripeObject, subscription: StripeObject | None) -> str | None:
    if invoice["default_payment_method"]:
        return invoice["default_payment_method"]
    if subscription and subscription["default_payment_method"]:
        return subscription["default_payment_method"]
    customer = fake.store.get(invoice["customer"])
    if customer and not customer.get("deleted"):
        return customer["invoice_settings"]["default_payment_method"]
    return None


def charge_outcome(fake: Fake, invoice: StripeObject, payment_method_id: str | None) -> str | None:
    """None when the charge succeeds, else the decline code."""
    if invoice["amount_due"] == 0:
        return None
    if payment_method_id is None:
        return "no_payment_method"
    behaviour, decline_code = card_behaviour(fake, payment_method_id)
    return None if behaviour == "ok" else decline_code


def pay_invoice(fake: Fake, invoice: StripeObject, payment_method_id: str | None = None) -> bool:
    """Attempt payment of an open invoice, with its events; True when it is paid."""
    subscription = fake.store.get(invoice["parent"]["subscription_details"]["subscription"])
    payment_method_id = payment_method_id or payment_method_for(fake, invoice, subscription)
    failure = charge_outcome(fake, invoice, payment_method_id)
    if invoice["amount_due"] > 0:
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
    if failure is not None:
        invoice["next_payment_attempt"] = next_attempt(fake.dunning, invoice["attempt_count"], fake.now())
        invoices.emit(fake, "payment_failed", invoice)
        return False
    now = fake.now()
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0, next_payment_attempt=None)
    invoice["status_transitions"]["paid_at"] = now
    invoices.emit(fake, "paid", invoice)
    invoices.emit(fake, "payment_succeeded", invoice)
    return True


def bill(fake: Fake, invoice: StripeObject) -> bool:
    """Announce a new draft invoice, finalize it and (when charged automatically) attempt payment."""
    invoices.emit(fake, "created", invoice)
    finalize_invoice(fake, invoice)
    if invoice["collection_method"] == "send_invoice" and invoice["amount_due"] > 0:
        return False
    return pay_invoice(fake, invoice)


@invoices.get("/{id}/lines")
def get_invoice_lines(request: Request) -> dict[str, Any]:
    invoice = invoices.retrieve(request)
    return list_of(request, invoice["lines"]["data"], invoice["lines"]["url"], "line item")


def void_invoice(fake: Fake, invoice: StripeObject) -> None:
    """An open invoice that will never be paid: `invoice.voided`."""
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = fake.now()
    invoices.emit(fake, "voided", invoice)


def mark_uncollectible(fake: Fake, invoice: StripeObject) -> None:
    """An open invoice its customer is not expected to pay: `invoice.marked_uncollectible`."""
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = fake.now()
    invoices.emit(fake, "marked_uncollectible", invoice)


def bill_paused(fake: Fake, invoice: StripeObject, behavior: str) -> None:
    """A renewal's invoice while collection is paused (`pause_collection[behavior]`): `keep_as_draft` leaves it
    a draft, `void` voids it and `mark_uncollectible` marks it so, both once finalized. Nothing is charged."""
    invoices.emit(fake, "created", invoice)
    if behavior == "keep_as_draft":
        invoice["auto_advance"] = False
        return
    finalize_invoice(fake, invoice)
    if behavior == "void":
        void_invoice(fake, invoice)
    else:
        mark_uncollectible(fake, invoice)


@invoices.post("/{id}/void")
def post_void_invoice(request: Request) -> StripeObject:
    invoice = invoices.retrieve(request)
    if invoice["status"] != "open":
        raise invalid_request("You can only void an open invoice.", code="invoice_not_open")
    void_invoice(request.fake, invoice)
    return invoice
