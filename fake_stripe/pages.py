"""What a browser sees of the fake: the hosted Checkout page (`session.url`), the billing portal page, the
hosted invoice page and its PDF (`hosted_invoice_url`, `invoice_pdf`), and the Stripe.js stand-in (`/v3/`).
The HTTP server's control endpoints (`/_fake/...`) are routed from here to `control`."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

from . import control, pdf, portal, stripejs
from .errors import StripeError, unrecognized_url

if TYPE_CHECKING:
    from .protocol import ControlledFake

Response = tuple[int, dict[str, str], str]
HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
CARDS = {
    "pm_card_visa": "Visa 4242 4242 4242 4242 (succeeds)",
    "pm_card_mastercard": "Mastercard 5555 5555 5555 4444 (succeeds)",
    "pm_card_chargeDeclined": "Visa 4000 0000 0000 0002 (declined)",
}
CHECKOUT = re.compile(r"^/c/pay/(?P<id>[^/]+)$")
PORTAL = re.compile(r"^/p/session/(?P<id>[^/]+)$")
INVOICE = re.compile(r"^/i/(?P<id>[^/]+)$")
INVOICE_PDF = re.compile(r"^/invoice/(?P<id>[^/]+)/pdf$")


def handle(fake: ControlledFake, method: str, path: str, params: dict[str, Any]) -> Response:
    try:
        if path.startswith("/_fake/"):
            return control.handle(fake, method, path, params)
        if method == "GET" and path in stripejs.SCRIPT_PATHS:
            return 200, stripejs.JAVASCRIPT, stripejs.script()
        if found := CHECKOUT.match(path):
            return checkout_page(fake, method, found["id"], params)
        if found := PORTAL.match(path):
            return portal_page(fake, method, found["id"], params)
        if method == "GET" and (found := INVOICE.match(path)):
            return invoice_page(fake, found["id"])
        if method == "GET" and (found := INVOICE_PDF.match(path)):
            return invoice_pdf(fake, found["id"])
        raise unrecognized_url(method, path)
    except StripeError as error:
        return error.status, JSON, json.dumps(error.body())


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:34rem;margin:3rem auto}.error{color:#b00}"
        "table{width:100%}td{padding:.3rem 0}</style></head>"
        f"<body><p><small>Fake Stripe (test mode)</small></p><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return status, HTML, document


def checkout_page(fake: ControlledFake, method: str, session_id: str, params: dict[str, Any]) -> Response:
    session = fake.get(session_id)
    if session is None or session["object"] != "checkout.session":
        return _page("Checkout session not found", "", 404)
    error = ""
    if method == "POST":
        try:
            session = fake.complete_checkout_session(session_id, params.get("payment_method") or "pm_card_visa")
            target = (session["success_url"] or "/").replace("{CHECKOUT_SESSION_ID}", session_id)
            return 303, {**HTML, "Location": target}, ""
        except StripeError as exc:
            error = f"<p class='error'>{html.escape(exc.message)}</p>"
    if session["status"] != "open":
        return _page("This checkout session is no longer open", f"<p>Status: {html.escape(session['status'])}</p>")
    with fake.locked():
        rows = "".join(
            f"<tr><td>{html.escape(item['description'])} × {item['quantity']}</td>"
            f"<td>{item['amount_total'] / 100:.2f} {item['currency'].upper()}</td></tr>"
            for item in fake.store.private.get(session_id, {}).get("line_items", [])
        )
    options = "".join(f"<option value='{value}'>{html.escape(label)}</option>" for value, label in CARDS.items())
    action = "Save card" if session["mode"] == "setup" else "Subscribe"
    cancel = f"<p><a href='{html.escape(session['cancel_url'])}'>Cancel</a></p>" if session["cancel_url"] else ""
    body = (
        f"<table>{rows}</table>{error}<form method='post'><p><label>Test card <select name='payment_method'>"
        f"{options}</select></label></p><p><button type='submit'>{action}</button></p></form>{cancel}"
    )
    return _page("Checkout", body)


def portal_page(fake: ControlledFake, method: str, session_id: str, params: dict[str, Any]) -> Response:
    """The customer's subscriptions, with what the session's configuration lets them do (`portal`)."""
    session = fake.get(session_id)
    if session is None or session["object"] != "billing_portal.session":
        return _page("Billing portal session not found", "", 404)
    error = ""
    if method == "POST" and params.get("subscription"):
        try:
            error = portal.act(fake, session, params)
        except StripeError as exc:
            error = exc.message
    error = f"<p class='error'>{html.escape(error)}</p>" if error else ""
    back = f"<p><a href='{html.escape(session['return_url'])}'>Return</a></p>" if session["return_url"] else ""
    return _page("Your subscriptions", f"{error}<table>{portal.rows(fake, session)}</table>{back}")


def invoice_page(fake: ControlledFake, invoice_id: str) -> Response:
    """The hosted invoice page (`hosted_invoice_url`): what was billed, what is due, and the PDF."""
    invoice = fake.get(invoice_id)
    if invoice is None or invoice.get("object") != "invoice":
        return _page("Invoice not found", "", 404)
    currency = invoice["currency"].upper()
    rows = "".join(
        f"<tr><td>{html.escape(line['description'] or '')}</td><td>{line['amount'] / 100:.2f} {currency}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    summary = (
        f"<p>Status: {html.escape(invoice['status'])}</p>"
        f"<p>Amount due: {invoice['amount_due'] / 100:.2f} {currency}; "
        f"paid: {invoice['amount_paid'] / 100:.2f} {currency}</p>"
    )
    download = (
        f"<p><a href='{html.escape(invoice['invoice_pdf'])}'>Download PDF</a></p>" if invoice["invoice_pdf"] else ""
    )
    return _page(f"Invoice {invoice['number'] or invoice['id']}", f"{summary}<table>{rows}</table>{download}")


def invoice_pdf(fake: ControlledFake, invoice_id: str) -> Response:
    """The invoice as a one-page PDF stub (`invoice_pdf`)."""
    invoice = fake.get(invoice_id)
    if invoice is None or invoice.get("object") != "invoice":
        return _page("Invoice not found", "", 404)
    currency = invoice["currency"].upper()
    lines = [
        f"Invoice {invoice['number'] or invoice['id']} (Fake Stripe, test mode)",
        f"Customer: {invoice['customer_email'] or invoice['customer']}",
        f"Status: {invoice['status']}",
        *(f"{line['description']}: {line['amount'] / 100:.2f} {currency}" for line in invoice["lines"]["data"]),
        f"Amount due: {invoice['amount_due'] / 100:.2f} {currency}",
        f"Amount paid: {invoice['amount_paid'] / 100:.2f} {currency}",
    ]
    filename = f"{invoice['number'] or invoice['id']}.pdf"
    headers = {"Content-Type": "application/pdf", "Content-Disposition": f'inline; filename="{filename}"'}
    return 200, headers, pdf.text_document(lines)
