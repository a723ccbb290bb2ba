"""What a browser sees of the fake: the hosted Checkout page (`session.url`), the billing portal page, the
Stripe.js stand-in (`/v3/`), and a few control endpoints for the HTTP server (`/_fake/...`: advance the clock,
complete a session, reset)."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

from . import stripejs
from .errors import StripeError, unrecognized_url

if TYPE_CHECKING:
    from .core import FakeStripe

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
COMPLETE = re.compile(r"^/_fake/checkout/sessions/(?P<id>[^/]+)/complete$")


def handle(fake: FakeStripe, method: str, path: str, params: dict[str, Any]) -> Response:
    try:
        if method == "GET" and path in stripejs.SCRIPT_PATHS:
            return 200, stripejs.JAVASCRIPT, stripejs.script()
        if found := CHECKOUT.match(path):
            return checkout_page(fake, method, found["id"], params)
        if found := PORTAL.match(path):
            return portal_page(fake, method, found["id"], params)
        if method == "POST" and (found := COMPLETE.match(path)):
            session = fake.complete_checkout_session(found["id"], params.get("payment_method") or "pm_card_visa")
            return 200, JSON, json.dumps(session)
        if method == "POST" and path == "/_fake/clock/advance":
            fake.advance_clock(int(params.get("seconds") or 0))
            return 200, JSON, json.dumps({"now": fake.now()})
        if method == "POST" and path == "/_fake/reset":
            fake.reset()
            return 200, JSON, json.dumps({"reset": True})
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


def checkout_page(fake: FakeStripe, method: str, session_id: str, params: dict[str, Any]) -> Response:
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


def portal_page(fake: FakeStripe, method: str, session_id: str, params: dict[str, Any]) -> Response:
    session = fake.get(session_id)
    if session is None or session["object"] != "billing_portal.session":
        return _page("Billing portal session not found", "", 404)
    if method == "POST" and params.get("subscription"):
        subscription = fake.get(params["subscription"])
        if subscription is not None and subscription.get("customer") == session["customer"]:
            cancel = "true" if params.get("action") == "cancel" else "false"
            fake.handle(
                "POST",
                f"/v1/subscriptions/{subscription['id']}",
                {"Authorization": "Bearer sk_test_portal"},
                f"cancel_at_period_end={cancel}",
            )
    with fake.locked():
        subscriptions = [s for s in fake.store.newest_first("subscription") if s["customer"] == session["customer"]]
    rows = ""
    for subscription in subscriptions:
        action = "renew" if subscription["cancel_at_period_end"] else "cancel"
        button = (
            f"<form method='post'><input type='hidden' name='subscription' value='{subscription['id']}'>"
            f"<button name='action' value='{action}'>{action.title()}</button></form>"
            if subscription["status"] not in ("canceled", "incomplete_expired")
            else ""
        )
        ending = " (cancels at period end)" if subscription["cancel_at_period_end"] else ""
        rows += f"<tr><td>{subscription['id']}</td><td>{subscription['status']}{ending}</td><td>{button}</td></tr>"
    back = f"<p><a href='{html.escape(session['return_url'])}'>Return</a></p>" if session["return_url"] else ""
    return _page("Your subscriptions", f"<table>{rows}</table>{back}")
