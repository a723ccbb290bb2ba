"""A scenario of the fake Stripe over real HTTP, through the official SDK: every resource and route family, the
hosted pages, the control endpoints and the errors, with every answer and webhook body recorded.

The fake's clock is pinned, so timestamps are the same on every run; ids, secrets and ports are random, so
`normalise` renames them in the order they first appear. `test_recorded_scenario` replays the scenario and holds
the record against `recorded_scenario.json`, byte for byte."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe

START = 1_900_000_000  # 2030-03-17 12:26:40 UTC, after today's wall clock: moving the clock forward stays pinned
DAY = 24 * 3600
ID_PREFIXES = (
    "bpc_", "bps_", "cs_test_", "cus_", "ent_test_", "evt_", "feat_test_", "ii_", "il_", "in_", "li_", "pm_",
    "price_", "prod_", "prodft_", "req_", "seti_", "si_", "sub_", "we_",
)  # fmt: skip
RANDOM_ID = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(ID_PREFIXES) + r")[A-Za-z0-9]{14,64}(?![A-Za-z0-9])")
SECRETS = re.compile(r"(_secret_[A-Za-z0-9_-]{32}|whsec_[0-9a-f]{32})")
INVOICE_PREFIX = re.compile(r'invoice_prefix\\*": \\*"([0-9A-F]{8})')  # in a body, itself a JSON string
DELIVERED_AT = re.compile(r'(delivered_at\\*": )[0-9.]+')  # the wall clock's, not the fake's
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Recorder(stripe.HTTPClient):
    """The SDK's own HTTP client, keeping each answer's status and body as it came over the wire."""

    name = "recorder"

    def __init__(self) -> None:
        super().__init__()
        self._inner = stripe.new_default_http_client()
        self.answers: list[tuple[int, str]] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        content, status, response_headers = self._inner.request(method, url, headers, post_data)
        self.answers.append((status, content.decode() if isinstance(content, bytes) else content))
        return content, status, response_headers

    def close(self) -> None:
        self._inner.close()


class Inbox:
    """A webhook endpoint on 127.0.0.1 keeping every body it receives, in order."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                inbox.bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Scenario:
    """Runs steps, each one SDK call (or one raw HTTP request), and records what it answered and delivered."""

    def __init__(self, fake: Any, base_url: str, inbox: Inbox, second_inbox: Inbox) -> None:
        self.fake, self.base_url, self.inbox, self.second_inbox = fake, base_url, inbox, second_inbox
        self.recorder = Recorder()
        self.client = stripe.StripeClient(
            "sk_test_scenario", base_addresses={"api": base_url}, http_client=self.recorder, max_network_retries=0
        )
        self.now = START
        self.steps: list[dict[str, Any]] = []

    def call(self, name: str, action: Callable[[stripe.StripeClient], Any]) -> Any:
        answered, delivered = len(self.recorder.answers), len(self.inbox.bodies)
        result = None
        with contextlib.suppress(stripe.StripeError):  # the error's status and body are in the record
            result = action(self.client)
        self._record(name, self.recorder.answers[answered:], delivered)
        return result

    def raw(self, name: str, method: str, path: str, data: dict[str, str] | None = None) -> str:
        """A request the SDK does not make: a hosted page, Stripe.js, a control endpoint."""
        delivered = len(self.inbox.bodies)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        try:
            with urllib.request.urlopen(request) as response:
                answer = (response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            answer = (error.code, error.read().decode())
        self._record(name, [answer], delivered)
        return answer[1]

    def helper(self, name: str, action: Callable[[], Any]) -> Any:
        """One of the fake's scenario helpers (Python, not HTTP): its result and deliveries are recorded."""
        delivered = len(self.inbox.bodies)
        result = action()
        self._record(name, [(0, json.dumps(result))], delivered)
        return result

    def advance(self, seconds: int) -> None:
        self.helper(f"advance_clock({seconds})", lambda: self.fake.advance_clock(seconds))
        self.now += seconds
        self.fake.clock.pin(self.now)  # advance_clock releases the pin; the clock stays on the scenario's time

    def _record(self, name: str, answers: list[tuple[int, str]], delivered: int) -> None:
        self.steps.append(
            {
                "step": name,
                "answers": [{"status": status, "body": in_key_order(body)} for status, body in answers],
                "webhooks": [in_key_order(body) for body in self.inbox.bodies[delivered:]],
            }
        )


def in_key_order(body: str) -> str:
    """`body` with each event's `previous_attributes` in key order, the rest untouched.

    The fake lists an update's previous attributes in the order of a set of key names, which changes from one
    process to the next (str hashes are randomised): that order is no behaviour the record should hold."""
    if "previous_attributes" not in body:
        return body
    indent = 2 if body.startswith("{\n") else None  # webhook bodies are indented, API answers are not
    parsed = json.loads(body)
    if json.dumps(parsed, indent=indent) != body:
        return body
    return json.dumps(_sort_previous_attributes(parsed), indent=indent)


def _sort_previous_attributes(node: Any, sort: bool = False) -> Any:
    if isinstance(node, dict):
        items = sorted(node.items()) if sort else node.items()
        return {key: _sort_previous_attributes(value, sort or key == "previous_attributes") for key, value in items}
    if isinstance(node, list):
        return [_sort_previous_attributes(value, sort) for value in node]
    return node


def normalise(scenario: Scenario) -> str:
    """The record as JSON text, with random ids, secrets and addresses renamed in order of first appearance."""
    text = json.dumps(scenario.steps, indent=1)
    text = text.replace(scenario.inbox.url, "http://inbox.test/webhook/")
    text = text.replace(scenario.second_inbox.url, "http://second-inbox.test/webhook/")
    text = text.replace(scenario.base_url, "http://fake.test")
    text = DELIVERED_AT.sub(r"\g<1>0", text)
    names: dict[str, str] = {}

    def rename(kind: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            if found not in names:
                prefix = match.group(1) if kind == "id" else kind
                names[found] = f"{prefix}{sum(name.startswith(prefix) for name in names.values()) + 1:04d}"
            return names[found]

        return replace

    text = RANDOM_ID.sub(rename("id"), text)
    text = SECRETS.sub(rename("SECRET"), text)
    text = UUID.sub(rename("UUID"), text)
    for number, prefix in enumerate(dict.fromkeys(INVOICE_PREFIX.findall(text)), start=1):
        text = text.replace(prefix, f"PREFIX{number:02d}")
    return text


# A script, one step after another: its lines are as long as a step.
# ruff: noqa: E501
def run(scenario: Scenario) -> None:
    s, fake = scenario, scenario.fake

    # -- products and prices
    products = [
        s.call(f"products.create {name}", lambda c, name=name: c.v1.products.create({"name": name, "metadata": {"tier": name}}))
        for name in ("Basic", "Pro", "Team", "Archive")
    ]  # fmt: skip
    basic, pro, team, archive = products
    s.call("products.create with id and default_price_data", lambda c: c.v1.products.create(
        {"id": "prod_custom", "name": "Custom", "default_price_data": {"currency": "usd", "unit_amount": 500}}))  # fmt: skip
    s.call("products.create duplicate id", lambda c: c.v1.products.create({"id": "prod_custom", "name": "Again"}))
    s.call("products.create without name", lambda c: c.v1.products.create({}))
    s.call("products.retrieve", lambda c: c.v1.products.retrieve(pro.id))
    s.call("products.retrieve missing", lambda c: c.v1.products.retrieve("prod_missing"))
    s.call(
        "products.update", lambda c: c.v1.products.update(pro.id, {"description": "For pros", "metadata": {"x": "1"}})
    )
    s.call("products.update archive", lambda c: c.v1.products.update(archive.id, {"active": False}))
    s.call("products.list", lambda c: c.v1.products.list())
    s.call("products.list active", lambda c: c.v1.products.list({"active": True, "limit": 2}))
    s.call("products.list ids", lambda c: c.v1.products.list({"ids": [basic.id, team.id]}))
    s.call("products.list created", lambda c: c.v1.products.list({"created": {"gte": START}}))
    s.call("products.list bad limit", lambda c: c.v1.products.list({"limit": 101}))
    s.call("products.delete", lambda c: c.v1.products.delete(archive.id))
    prices: dict[str, Any] = {}
    for product, amount, interval in ((basic, 1000, "month"), (pro, 2000, "month"), (team, 20000, "year")):
        prices[product.id] = s.call(f"prices.create {amount}/{interval}", lambda c, p=product, a=amount, i=interval: (
            c.v1.prices.create({"product": p.id, "currency": "usd", "unit_amount": a, "recurring": {"interval": i},
                                "lookup_key": f"{p.name.lower()}_{i}"})))  # fmt: skip
    basic_price, pro_price, team_price = prices.values()
    trial_price = s.call("prices.create with trial and product_data", lambda c: c.v1.prices.create(
        {"product_data": {"name": "Trial"}, "currency": "eur", "unit_amount": 900,
         "recurring": {"interval": "month", "trial_period_days": 14}}))  # fmt: skip
    one_time = s.call("prices.create one_time", lambda c: c.v1.prices.create(
        {"product": pro.id, "currency": "usd", "unit_amount": 4900, "nickname": "Setup fee"}))  # fmt: skip
    s.call("prices.create lookup key taken", lambda c: c.v1.prices.create(
        {"product": pro.id, "currency": "usd", "unit_amount": 1, "lookup_key": "pro_month"}))  # fmt: skip
    s.call("prices.create bad interval_count", lambda c: c.v1.prices.create(
        {"product": pro.id, "currency": "usd", "unit_amount": 1, "recurring": {"interval": "month", "interval_count": 37}}))  # fmt: skip
    s.call("prices.create no product", lambda c: c.v1.prices.create({"currency": "usd", "unit_amount": 1}))
    s.call("prices.retrieve expand product", lambda c: c.v1.prices.retrieve(pro_price.id, {"expand": ["product"]}))
    s.call("prices.update", lambda c: c.v1.prices.update(one_time.id, {"nickname": "Onboarding", "active": False}))
    s.call("prices.update transfer lookup key", lambda c: c.v1.prices.update(
        one_time.id, {"lookup_key": "basic_month", "transfer_lookup_key": True}))  # fmt: skip
    s.call("prices.list", lambda c: c.v1.prices.list())
    s.call("prices.list filters", lambda c: c.v1.prices.list({"active": True, "type": "recurring", "currency": "usd"}))
    s.call("prices.list lookup_keys", lambda c: c.v1.prices.list({"lookup_keys": ["pro_month", "team_year"]}))
    s.call("prices.list recurring interval", lambda c: c.v1.prices.list({"recurring": {"interval": "year"}}))
    s.call("prices.list product paged", lambda c: c.v1.prices.list({"product": pro.id, "limit": 1}))
    s.call("products.delete with prices", lambda c: c.v1.products.delete(pro.id))
    s.call("products.update default_price", lambda c: c.v1.products.update(pro.id, {"default_price": pro_price.id}))

    # -- customers (the ones that subscribe have ids of their own: the fake refreshes entitlements customer by
    # customer in the order of their ids, which random ids would shuffle)
    jenny = s.call(
        "customers.create",
        lambda c: c.v1.customers.create({"id": "cus_jenny", "email": "jenny@example.com", "name": "Jenny"}),
    )
    bob = s.call("customers.create with card", lambda c: c.v1.customers.create(
        {"id": "cus_bob", "email": "bob@example.com", "payment_method": "pm_card_visa", "address": {"country": "FR"}}))  # fmt: skip
    ana = s.call("customers.create with id", lambda c: c.v1.customers.create({"id": "cus_ana", "name": "Ana"}))
    gone = s.call("customers.create to delete", lambda c: c.v1.customers.create({"email": "gone@example.com"}))
    s.call("customers.retrieve", lambda c: c.v1.customers.retrieve(jenny.id))
    s.call(
        "customers.update", lambda c: c.v1.customers.update(jenny.id, {"phone": "+33100000000", "metadata": {"a": "b"}})
    )
    s.call("customers.update unset", lambda c: c.v1.customers.update(jenny.id, {"phone": ""}))
    s.call("customers.list", lambda c: c.v1.customers.list())
    s.call("customers.list email", lambda c: c.v1.customers.list({"email": "bob@example.com"}))
    s.call("customers.list paged", lambda c: c.v1.customers.list({"limit": 2, "starting_after": ana.id}))
    s.call("customers.list ending_before", lambda c: c.v1.customers.list({"ending_before": gone.id}))
    s.call("customers.list bad cursor", lambda c: c.v1.customers.list({"starting_after": "cus_nobody"}))
    s.call("customers.delete", lambda c: c.v1.customers.delete(gone.id))
    s.call("customers.retrieve deleted", lambda c: c.v1.customers.retrieve(gone.id))
    s.call("customers.update deleted", lambda c: c.v1.customers.update(gone.id, {"name": "Nope"}))

    # -- payment methods
    visa = s.call(
        "payment_methods.create token",
        lambda c: c.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}}),
    )
    master = s.call("payment_methods.create number", lambda c: c.v1.payment_methods.create(
        {"type": "card", "card": {"number": "5555555555554444", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}))  # fmt: skip
    s.call(
        "payment_methods.create bad token",
        lambda c: c.v1.payment_methods.create({"type": "card", "card": {"token": "tok_nope"}}),
    )
    s.call("payment_methods.create no type", lambda c: c.v1.payment_methods.create({}))
    s.call("payment_methods.retrieve", lambda c: c.v1.payment_methods.retrieve(visa.id))
    s.call("payment_methods.retrieve test token", lambda c: c.v1.payment_methods.retrieve("pm_card_mastercard"))
    s.call("payment_methods.attach", lambda c: c.v1.payment_methods.attach(visa.id, {"customer": jenny.id}))
    s.call("payment_methods.attach second", lambda c: c.v1.payment_methods.attach(master.id, {"customer": jenny.id}))
    s.call(
        "payment_methods.attach missing customer",
        lambda c: c.v1.payment_methods.attach(master.id, {"customer": "cus_x"}),
    )
    s.call(
        "payment_methods.update",
        lambda c: c.v1.payment_methods.update(visa.id, {"billing_details": {"name": "Jenny R"}}),
    )
    s.call("payment_methods.list", lambda c: c.v1.payment_methods.list({"customer": jenny.id, "type": "card"}))
    s.call("customers.payment_methods.list", lambda c: c.v1.customers.payment_methods.list(jenny.id))
    s.call("customers.payment_methods.retrieve", lambda c: c.v1.customers.payment_methods.retrieve(jenny.id, visa.id))
    s.call(
        "customers.payment_methods.retrieve foreign", lambda c: c.v1.customers.payment_methods.retrieve(bob.id, visa.id)
    )
    s.call("customers.update default pm", lambda c: c.v1.customers.update(
        jenny.id, {"invoice_settings": {"default_payment_method": visa.id}}))  # fmt: skip
    s.call("payment_methods.detach", lambda c: c.v1.payment_methods.detach(master.id))
    s.call("payment_methods.detach again", lambda c: c.v1.payment_methods.detach(master.id))
    failing = s.call("payment_methods.attach failing card", lambda c: c.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": ana.id}))  # fmt: skip

    # -- setup intents
    seti = s.call(
        "setup_intents.create", lambda c: c.v1.setup_intents.create({"customer": bob.id, "usage": "off_session"})
    )
    s.call("setup_intents.retrieve", lambda c: c.v1.setup_intents.retrieve(seti.id))
    s.call("setup_intents.update", lambda c: c.v1.setup_intents.update(seti.id, {"metadata": {"step": "2"}}))
    s.call("setup_intents.confirm", lambda c: c.v1.setup_intents.confirm(seti.id, {"payment_method": "pm_card_visa"}))
    s.call(
        "setup_intents.confirm again", lambda c: c.v1.setup_intents.confirm(seti.id, {"payment_method": "pm_card_visa"})
    )
    declined = s.call("setup_intents.create confirm declined", lambda c: c.v1.setup_intents.create(
        {"customer": bob.id, "confirm": True, "payment_method": "pm_card_chargeDeclined"}))  # fmt: skip
    cancelled = s.call("setup_intents.create to cancel", lambda c: c.v1.setup_intents.create({"customer": ana.id}))
    s.call("setup_intents.cancel", lambda c: c.v1.setup_intents.cancel(cancelled.id))
    s.call("setup_intents.list", lambda c: c.v1.setup_intents.list({"customer": bob.id}))
    s.call("setup_intents.retrieve declined", lambda c: c.v1.setup_intents.retrieve(declined.id) if declined else None)

    # -- checkout sessions, completion and the hosted page
    session = s.call("checkout.sessions.create subscription", lambda c: c.v1.checkout.sessions.create(
        {"mode": "subscription", "customer": bob.id, "line_items": [{"price": basic_price.id, "quantity": 1}],
         "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no",
         "client_reference_id": "user-7", "metadata": {"plan": "basic"}}))  # fmt: skip
    s.call("checkout.sessions.retrieve", lambda c: c.v1.checkout.sessions.retrieve(session.id))
    s.call("checkout.sessions.line_items.list", lambda c: c.v1.checkout.sessions.line_items.list(session.id))
    s.call("checkout.sessions.update", lambda c: c.v1.checkout.sessions.update(session.id, {"metadata": {"plan": "b"}}))
    s.raw("checkout page", "GET", f"/c/pay/{session.id}")
    s.helper("complete_checkout_session", lambda: fake.complete_checkout_session(session.id))
    s.call("checkout.sessions.retrieve complete", lambda c: c.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["subscription", "customer"]}))  # fmt: skip
    expiring = s.call("checkout.sessions.create to expire", lambda c: c.v1.checkout.sessions.create(
        {"mode": "subscription", "customer": jenny.id, "line_items": [{"price": team_price.id, "quantity": 2}],
         "success_url": "https://example.com/ok"}))  # fmt: skip
    s.call("checkout.sessions.expire", lambda c: c.v1.checkout.sessions.expire(expiring.id))
    s.call("checkout.sessions.expire again", lambda c: c.v1.checkout.sessions.expire(expiring.id))
    setup_session = s.call("checkout.sessions.create setup embedded", lambda c: c.v1.checkout.sessions.create(
        {"mode": "setup", "customer": ana.id, "ui_mode": "embedded", "return_url": "https://example.com/r",
         "currency": "usd"}))  # fmt: skip
    s.raw("control: complete setup session", "POST", f"/_fake/checkout/sessions/{setup_session.id}/complete", {})
    s.call("checkout.sessions.create payment mode", lambda c: c.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [{"price": one_time.id, "quantity": 1}], "success_url": "https://x"}))  # fmt: skip
    s.call(
        "checkout.sessions.create missing mode", lambda c: c.v1.checkout.sessions.create({"success_url": "https://x"})
    )
    s.call("checkout.sessions.list", lambda c: c.v1.checkout.sessions.list({"customer": bob.id}))
    s.call("checkout.sessions.list all", lambda c: c.v1.checkout.sessions.list({"limit": 5}))

    # -- subscriptions: create, update, trials, pending updates, items, cancel
    sub = s.call("subscriptions.create", lambda c: c.v1.subscriptions.create(
        {"customer": jenny.id, "items": [{"price": pro_price.id}], "metadata": {"seat": "1"}}))  # fmt: skip
    s.call("subscriptions.retrieve", lambda c: c.v1.subscriptions.retrieve(sub.id))
    s.call("subscriptions.retrieve expand", lambda c: c.v1.subscriptions.retrieve(
        sub.id, {"expand": ["latest_invoice", "customer", "items.data.price.product"]}))  # fmt: skip
    trial = s.call("subscriptions.create trial_from_plan", lambda c: c.v1.subscriptions.create(
        {"customer": bob.id, "items": [{"price": trial_price.id}], "trial_from_plan": True}))  # fmt: skip
    s.call("subscriptions.create trial_period_days", lambda c: c.v1.subscriptions.create(
        {"customer": ana.id, "items": [{"price": team_price.id}], "trial_period_days": 7}))  # fmt: skip
    incomplete = s.call("subscriptions.create failing card", lambda c: c.v1.subscriptions.create(
        {"customer": ana.id, "items": [{"price": basic_price.id}], "default_payment_method": failing.id}))  # fmt: skip
    s.call("subscriptions.create default_incomplete", lambda c: c.v1.subscriptions.create(
        {"customer": jenny.id, "items": [{"price": basic_price.id}], "payment_behavior": "default_incomplete"}))  # fmt: skip
    s.call("subscriptions.create error_if_incomplete", lambda c: c.v1.subscriptions.create(
        {"customer": ana.id, "items": [{"price": pro_price.id}], "payment_behavior": "error_if_incomplete",
         "default_payment_method": failing.id}))  # fmt: skip
    s.call(
        "subscriptions.create missing customer",
        lambda c: c.v1.subscriptions.create({"customer": "cus_missing", "items": [{"price": pro_price.id}]}),
    )
    s.call("subscriptions.create no items", lambda c: c.v1.subscriptions.create({"customer": jenny.id}))
    s.advance(3600)
    item = sub.items.data[0]
    s.call("subscriptions.update upgrade", lambda c: c.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "price": team_price.id}], "proration_behavior": "create_prorations"}))  # fmt: skip
    s.call("subscriptions.update metadata", lambda c: c.v1.subscriptions.update(sub.id, {"metadata": {"seat": "2"}}))
    s.call("subscriptions.update quantity always_invoice", lambda c: c.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 3}], "proration_behavior": "always_invoice"}))  # fmt: skip
    s.call(
        "subscriptions.update cancel_at_period_end",
        lambda c: c.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True}),
    )
    s.call("subscriptions.update resume", lambda c: c.v1.subscriptions.update(sub.id, {"cancel_at_period_end": False}))
    s.call("customers.update failing default", lambda c: c.v1.customers.update(
        jenny.id, {"invoice_settings": {"default_payment_method": None}}))  # fmt: skip
    jenny_failing = s.call("payment_methods.attach jenny failing", lambda c: c.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": jenny.id}))  # fmt: skip
    s.call("subscriptions.update default_payment_method", lambda c: c.v1.subscriptions.update(
        sub.id, {"default_payment_method": jenny_failing.id}))  # fmt: skip
    pending = s.call("subscriptions.update pending_if_incomplete", lambda c: c.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 10}],
                 "payment_behavior": "pending_if_incomplete", "proration_behavior": "always_invoice"}))  # fmt: skip
    if pending is not None and pending.latest_invoice:
        s.call(
            "invoices.pay pending with visa",
            lambda c: c.v1.invoices.pay(pending.latest_invoice, {"payment_method": "pm_card_visa"}),
        )
    now_sub = s.call("subscriptions.retrieve after pending", lambda c: c.v1.subscriptions.retrieve(sub.id))
    interval = now_sub.items.data[0].price.recurring.interval
    addon = s.call("prices.create add-on", lambda c: c.v1.prices.create(
        {"product": basic.id, "currency": "usd", "unit_amount": 300, "recurring": {"interval": interval}}))  # fmt: skip
    s.call("subscription_items.list", lambda c: c.v1.subscription_items.list({"subscription": sub.id}))
    added = s.call("subscription_items.create", lambda c: c.v1.subscription_items.create(
        {"subscription": sub.id, "price": addon.id, "quantity": 2, "proration_behavior": "none"}))  # fmt: skip
    s.call("subscription_items.retrieve", lambda c: c.v1.subscription_items.retrieve(added.id))
    s.call(
        "subscription_items.update",
        lambda c: c.v1.subscription_items.update(added.id, {"quantity": 4, "proration_behavior": "create_prorations"}),
    )
    s.call(
        "subscription_items.delete", lambda c: c.v1.subscription_items.delete(added.id, {"proration_behavior": "none"})
    )
    s.call("subscription_items.retrieve deleted", lambda c: c.v1.subscription_items.retrieve(added.id))
    s.call("subscriptions.list", lambda c: c.v1.subscriptions.list())
    s.call("subscriptions.list customer", lambda c: c.v1.subscriptions.list({"customer": ana.id}))
    s.call("subscriptions.list status all", lambda c: c.v1.subscriptions.list({"status": "all", "limit": 3}))
    s.call("subscriptions.list price", lambda c: c.v1.subscriptions.list({"price": basic_price.id}))

    # -- invoices and invoice items
    s.call("invoices.list", lambda c: c.v1.invoices.list())
    s.call("invoices.list customer paid", lambda c: c.v1.invoices.list({"customer": jenny.id, "status": "paid"}))
    s.call("invoices.list subscription", lambda c: c.v1.invoices.list({"subscription": sub.id, "limit": 2}))
    invoice = s.call("invoices.retrieve latest", lambda c: c.v1.invoices.retrieve(sub.latest_invoice))
    s.call("invoices.line_items.list", lambda c: c.v1.invoices.line_items.list(invoice.id))
    s.call(
        "invoices.retrieve expand",
        lambda c: c.v1.invoices.retrieve(invoice.id, {"expand": ["customer", "subscription"]}),
    )
    s.raw("invoice page", "GET", f"/i/{invoice.id}")
    s.raw("invoice pdf", "GET", f"/invoice/{invoice.id}/pdf")
    s.call("invoices.pay paid", lambda c: c.v1.invoices.pay(invoice.id))
    if incomplete is not None:
        held = incomplete.latest_invoice
        s.call("invoices.pay failing", lambda c: c.v1.invoices.pay(held))
        s.call("invoices.pay with visa", lambda c: c.v1.invoices.pay(held, {"payment_method": "pm_card_visa"}))
        s.call("subscriptions.retrieve paid late", lambda c: c.v1.subscriptions.retrieve(incomplete.id))
    s.call("invoices.retrieve missing", lambda c: c.v1.invoices.retrieve("in_missing"))
    s.call("invoice_items.list", lambda c: c.v1.invoice_items.list())
    s.call("invoice_items.list customer", lambda c: c.v1.invoice_items.list({"customer": jenny.id, "limit": 3}))
    items = s.call("invoice_items.list pending", lambda c: c.v1.invoice_items.list({"pending": True}))
    if items is not None and items.data:
        s.call("invoice_items.retrieve", lambda c: c.v1.invoice_items.retrieve(items.data[0].id))
    s.call("invoice_items.retrieve missing", lambda c: c.v1.invoice_items.retrieve("ii_missing"))

    # -- the portal: sessions, configurations, page
    s.call("billing_portal.configurations.list", lambda c: c.v1.billing_portal.configurations.list())
    configuration = s.call("billing_portal.configurations.create", lambda c: c.v1.billing_portal.configurations.create(
        {"features": {"invoice_history": {"enabled": True}, "subscription_cancel": {"enabled": True, "mode": "at_period_end"}},
         "business_profile": {"headline": "Manage"}}))  # fmt: skip
    s.call(
        "billing_portal.configurations.retrieve",
        lambda c: c.v1.billing_portal.configurations.retrieve(configuration.id),
    )
    s.call("billing_portal.configurations.update", lambda c: c.v1.billing_portal.configurations.update(
        configuration.id, {"features": {"payment_method_update": {"enabled": True}}, "metadata": {"v": "2"}}))  # fmt: skip
    s.call(
        "billing_portal.configurations.list active",
        lambda c: c.v1.billing_portal.configurations.list({"is_default": False}),
    )
    s.call(
        "billing_portal.configurations.retrieve missing",
        lambda c: c.v1.billing_portal.configurations.retrieve("bpc_missing"),
    )
    portal = s.call("billing_portal.sessions.create", lambda c: c.v1.billing_portal.sessions.create(
        {"customer": jenny.id, "return_url": "https://example.com/account"}))  # fmt: skip
    s.call("billing_portal.sessions.create configuration", lambda c: c.v1.billing_portal.sessions.create(
        {"customer": bob.id, "configuration": configuration.id}))  # fmt: skip
    s.call(
        "billing_portal.sessions.create missing customer",
        lambda c: c.v1.billing_portal.sessions.create({"customer": "cus_missing"}),
    )
    s.raw("portal page", "GET", f"/p/session/{portal.id}")

    # -- entitlements
    seats = s.call(
        "entitlements.features.create",
        lambda c: c.v1.entitlements.features.create({"lookup_key": "seats", "name": "Seats"}),
    )
    s.call(
        "entitlements.features.create reports",
        lambda c: c.v1.entitlements.features.create({"lookup_key": "reports", "name": "Reports"}),
    )
    s.call(
        "entitlements.features.create duplicate",
        lambda c: c.v1.entitlements.features.create({"lookup_key": "seats", "name": "Again"}),
    )
    s.call("entitlements.features.retrieve", lambda c: c.v1.entitlements.features.retrieve(seats.id))
    s.call(
        "entitlements.features.update", lambda c: c.v1.entitlements.features.update(seats.id, {"name": "Team seats"})
    )
    s.call("entitlements.features.list", lambda c: c.v1.entitlements.features.list())
    attached = s.call(
        "products.features.create", lambda c: c.v1.products.features.create(team.id, {"entitlement_feature": seats.id})
    )
    s.helper("add_product_feature", lambda: fake.add_product_feature(team.id, "api", "API access"))
    s.call("products.features.list", lambda c: c.v1.products.features.list(team.id))
    s.call("products.features.retrieve", lambda c: c.v1.products.features.retrieve(team.id, attached.id))
    active = s.call(
        "entitlements.active_entitlements.list",
        lambda c: c.v1.entitlements.active_entitlements.list({"customer": jenny.id}),
    )
    if active is not None and active.data:
        s.call(
            "entitlements.active_entitlements.retrieve",
            lambda c: c.v1.entitlements.active_entitlements.retrieve(active.data[0].id),
        )
    s.call(
        "entitlements.active_entitlements.list missing",
        lambda c: c.v1.entitlements.active_entitlements.list({"customer": "cus_missing"}),
    )
    s.call("products.features.delete", lambda c: c.v1.products.features.delete(team.id, attached.id))
    s.call(
        "entitlements.active_entitlements.list after delete",
        lambda c: c.v1.entitlements.active_entitlements.list({"customer": jenny.id}),
    )

    # -- webhook endpoints over the API
    second = s.second_inbox
    endpoint = s.call("webhook_endpoints.create", lambda c: c.v1.webhook_endpoints.create(
        {"url": second.url, "enabled_events": ["customer.*", "invoice.paid"], "description": "second"}))  # fmt: skip
    s.call("webhook_endpoints.create no events", lambda c: c.v1.webhook_endpoints.create({"url": second.url}))
    s.call("webhook_endpoints.retrieve", lambda c: c.v1.webhook_endpoints.retrieve(endpoint.id))
    s.call("webhook_endpoints.list", lambda c: c.v1.webhook_endpoints.list())
    s.call("customers.update for the second endpoint", lambda c: c.v1.customers.update(ana.id, {"name": "Ana B"}))
    s.call("webhook_endpoints.delete", lambda c: c.v1.webhook_endpoints.delete(endpoint.id))
    s.call("webhook_endpoints.retrieve deleted", lambda c: c.v1.webhook_endpoints.retrieve(endpoint.id))
    s.steps.append({"step": "second endpoint received", "answers": [], "webhooks": list(second.bodies)})

    # -- the clock: renewals, trial ends, cancellations at period end
    s.call(
        "subscriptions.update trial cancel_at_period_end",
        lambda c: c.v1.subscriptions.update(trial.id, {"cancel_at_period_end": True}),
    )
    s.advance(15 * DAY)
    s.call("subscriptions.retrieve trial ended", lambda c: c.v1.subscriptions.retrieve(trial.id))
    s.raw("control: advance clock", "POST", "/_fake/clock/advance", {"seconds": str(20 * DAY)})
    s.now += 20 * DAY
    fake.clock.pin(s.now)
    # The advance releases the pin before the answer reads the clock: wall time then, a second late at times.
    answer = s.steps[-1]["answers"][0]
    assert json.loads(answer["body"])["now"] - s.now in (0, 1)
    answer["body"] = json.dumps({"now": s.now})
    s.advance(30 * DAY)
    s.call("subscriptions.retrieve renewed", lambda c: c.v1.subscriptions.retrieve(sub.id))
    s.call("invoices.list after renewals", lambda c: c.v1.invoices.list({"customer": jenny.id}))
    s.call("subscriptions.cancel", lambda c: c.v1.subscriptions.cancel(sub.id))
    s.call("subscriptions.cancel again", lambda c: c.v1.subscriptions.cancel(sub.id))
    s.call("subscriptions.update cancelled", lambda c: c.v1.subscriptions.update(sub.id, {"metadata": {"x": "y"}}))
    s.call("subscriptions.cancel with invoice_now", lambda c: c.v1.subscriptions.cancel(
        incomplete.id, {"invoice_now": True, "prorate": True}))  # fmt: skip
    s.call("customers.delete with subscriptions", lambda c: c.v1.customers.delete(bob.id))
    if incomplete is not None:
        s.call("invoices.void", lambda c: c.v1.invoices.void_invoice(incomplete.latest_invoice))

    # -- events
    page = s.call("events.list", lambda c: c.v1.events.list({"limit": 5}))
    s.call("events.list type", lambda c: c.v1.events.list({"type": "customer.subscription.updated", "limit": 3}))
    s.call("events.list types", lambda c: c.v1.events.list({"types": ["invoice.paid", "invoice.created"], "limit": 3}))
    s.call("events.list starting_after", lambda c: c.v1.events.list({"limit": 3, "starting_after": page.data[-1].id}))
    s.call("events.list created", lambda c: c.v1.events.list({"created": {"gt": START + 40 * DAY}, "limit": 3}))
    s.call("events.retrieve", lambda c: c.v1.events.retrieve(page.data[0].id))
    s.call("events.retrieve missing", lambda c: c.v1.events.retrieve("evt_missing"))

    # -- errors, faults, idempotency, the control endpoints and Stripe.js
    s.call("unrecognised url", lambda c: c.raw_request("get", "/v1/nothing_here"))
    s.call("unrecognised method", lambda c: c.raw_request("delete", "/v1/prices/" + pro_price.id))
    bad = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": s.base_url}, http_client=s.recorder, max_network_retries=0
    )
    s.call("bad api key", lambda c: bad.v1.customers.list())
    fake.fail_next(1, status=500)
    s.call("injected 500", lambda c: c.v1.customers.list())
    fake.fail_next(1, status=429)
    s.call("injected 429", lambda c: c.v1.customers.list())
    s.raw("control: faults", "POST", "/_fake/faults", {"count": "1", "status": "503"})
    s.call("injected 503", lambda c: c.v1.products.list())
    s.call("idempotent create", lambda c: c.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"}))
    s.call("idempotent replay", lambda c: c.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"}))
    s.call("idempotent mismatch", lambda c: c.v1.customers.create({"name": "Twice"}, {"idempotency_key": "key-1"}))
    s.call("bad integer", lambda c: c.v1.customers.list({"limit": "many"}))
    s.call("bad enum", lambda c: c.v1.customers.create({"tax_exempt": "sometimes"}))
    s.raw("control: delivery mode queued", "POST", "/_fake/delivery_mode", {"mode": "queued"})
    s.call("customers.create queued", lambda c: c.v1.customers.create({"name": "Queued"}))
    s.raw("control: queued events", "GET", "/_fake/events/queued")
    s.raw("control: deliver queued", "POST", "/_fake/events/deliver", {})
    s.raw("control: delivery mode immediate", "POST", "/_fake/delivery_mode", {"mode": "immediate"})
    s.raw("control: unknown", "POST", "/_fake/nothing")
    s.raw("stripe.js", "GET", "/v3/")
    s.raw("unknown page", "GET", "/nowhere")
