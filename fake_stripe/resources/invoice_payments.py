"""Paying an invoice over the API (`POST /v1/invoices/{id}/pay`, optionally with another payment method), and
what a paid invoice settles: the pending update it holds, or its subscription's unpaid status."""

from __future__ import annotations

from ..errors import card_declined, invalid_request
from ..routing import Request
from ..store import StripeObject
from .invoices import charge_outcome, invoices, pay_invoice
from .payment_methods import owned_payment_method
from .pending_updates import apply_pending_update, held_by
from .subscription_status import set_status


@invoices.post("/{id}/pay")
def post_pay_invoice(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    invoice = invoices.retrieve(request)
    if invoice["status"] != "open":
        raise invalid_request(f"Invoice is already {invoice['status']}", code="invoice_not_open")
    payment_method_id = None
    if params.get("payment_method"):
        payment_method_id = owned_payment_method(fake, params["payment_method"], invoice["customer"], "payment_method")
    pending = held_by(fake, invoice)
    paid = pay_invoice(fake, invoice, payment_method_id)
    subscription = fake.store.get(invoice["parent"]["subscription_details"]["subscription"])
    if paid and pending is not None:
        apply_pending_update(fake, pending)
    elif subscription is not None and paid and subscription["status"] in ("incomplete", "past_due", "unpaid"):
        set_status(fake, subscription, "active")
    if not paid:
        raise card_declined(charge_outcome(fake, invoice, payment_method_id) or "generic_decline")
    return invoice
