"""Bad input across the REST API and the webhook endpoint, over real HTTP (a live server): wrong types,
huge bodies, unicode, emoji and NUL bytes in ids and fields, missing fields, malformed JSON, wrong content
types, ids of other users. No 500, and no answer leaks another customer's object, a traceback, SQL or a
secret.

tests/api/test_schema.py fuzzes the documented shapes (schemathesis); tests/api/test_writes.py holds the
plain foreign-id cases. These tables go where a schema-driven fuzzer does not: bytes the schema does not
describe, and the database's own limits (PostgreSQL refuses NUL in text and jsonb).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import Customer, WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory
from tests.webhooks.conftest import SECRET, Response, event, post, sign

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-bad-input"
MB = 1024 * 1024
OK = {200, 201, 204, 400, 402, 403, 404, 405, 413, 415}
LEAKS = ("Traceback", "psycopg", "sqlite", "SELECT ", "django_stripe_", "sk_test", "whsec_", 'File "')


def auth(username: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


@pytest.fixture
def world(live_server, synced_fake, catalogue, django_user_model, settings):
    """Two users with a card and a subscription each; the API over HTTP as `mallory`."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"django_stripe": None}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # Basic auth on every request
    ids = {"price": catalogue["monthly"], "product": catalogue["product"]}
    for name in ("victim", "mallory"):
        user = django_user_model.objects.create_user(name, f"{name}@example.com", PASSWORD)
        setup_intent = payments.create_setup_intent(user)
        card = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
        subscription = payments.create_subscription(
            user, catalogue["monthly"], default_payment_method=card.payment_method
        )
        ids[name] = {
            "customer": user.stripe_customer_id,
            "pm": card.payment_method,
            "sub": subscription.id,
            "invoice": subscription.latest_invoice,
        }
    return ids


def call(live_server, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
    """One HTTP request as mallory, the body sent whatever the method (the webhook tests' `post` only sends
    one with POST)."""
    request = urllib.request.Request(live_server.url + path, data=body, method=method, headers=auth("mallory"))
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Response(response.status, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode(errors="replace"))


def assert_safe(response, case, world, sent: str = ""):
    assert response.status in OK, (case, response.status, response.body[:2000])
    for marker in LEAKS:
        assert marker not in response.body, (case, marker, response.body[:2000])
    victim = world["victim"]
    for secret in (victim["customer"], victim["pm"], victim["sub"], victim["invoice"], "victim@example.com"):
        # An id the request named may be echoed in "No such ...: '<id>'"; anything else of the victim's is a leak.
        if secret not in sent:
            assert secret not in response.body, (case, "leaks the victim's", secret)


def dumps(value) -> bytes:
    return json.dumps(value).encode()


def rest_cases(world):
    victim, mine, price = world["victim"], world["mallory"], world["price"]
    nul, emoji, rtl = "\u0000", "\U0001f4b3\u200d\U0001f525", "\u202e\u0645\u0631\u062d\u0628\u0627"
    # (Not longer in a URL path: the live server's test media handler stats every path as a file name.)
    odd_ids = [nul, f"sub_{nul}", emoji, rtl, "a" * 250, "%", "..", "' OR 1=1 --", victim["sub"] + nul,
               victim["sub"].upper(), f" {victim['sub']} "]  # fmt: skip
    cases = []
    for odd in odd_ids:
        quoted = quote(odd, safe="")
        for resource in ("subscriptions", "payment-methods", "invoices", "prices", "products"):
            cases.append(("GET", f"/api/{resource}/{quoted}/", None, None))
        cases += [
            ("PUT", f"/api/subscriptions/{quoted}/", dumps({"cancel_at_period_end": True}), "application/json"),
            ("DELETE", f"/api/subscriptions/{quoted}/", None, None),
            ("PUT", f"/api/payment-methods/{quoted}/", dumps({"set_as_default": True}), "application/json"),
            ("DELETE", f"/api/payment-methods/{quoted}/", None, None),
            ("POST", f"/api/checkout/{quoted}/", None, None),
            ("POST", f"/api/setup-checkout/{quoted}/", None, None),
            ("POST", "/api/setup-checkout/", dumps({"subscription_id": odd}), "application/json"),
            ("POST", "/api/subscriptions/", dumps({"price_id": odd}), "application/json"),
            ("POST", "/api/subscriptions/", dumps({"price_id": price, "default_payment_method": odd}),
             "application/json"),
            ("PUT", f"/api/subscriptions/{mine['sub']}/", dumps({"default_payment_method": odd}), "application/json"),
            ("PUT", f"/api/subscriptions/{mine['sub']}/", dumps({"price_id": odd}), "application/json"),
            ("GET", f"/api/invoices/?subscription={quoted}", None, None),
            ("GET", f"/api/invoices/?status={quoted}", None, None),
            ("GET", f"/api/prices/?currency={quoted}&product={quoted}", None, None),
            ("GET", f"/api/products/?ids={quoted},{quoted}", None, None),
            ("GET", f"/api/subscriptions/?status={quoted}", None, None),
            ("GET", "/api/invoices/", dumps({"subscription": odd}), "application/json"),
        ]  # fmt: skip
    wrong_types = [1, 1.5, True, None, [], {}, ["price"], {"$ne": ""}, "", -1, 10**30, "NaN"]
    for value in wrong_types:
        cases += [
            ("POST", "/api/subscriptions/", dumps({"price_id": value}), "application/json"),
            ("POST", "/api/subscriptions/", dumps({"price_id": price, "trial_period_days": value}), "application/json"),
            ("POST", "/api/subscriptions/", dumps({"price_id": price, "set_as_default_payment_method": value}),
             "application/json"),
            ("PUT", f"/api/subscriptions/{mine['sub']}/", dumps({"quantity": value}), "application/json"),
            ("PUT", f"/api/subscriptions/{mine['sub']}/", dumps({"cancel_at_period_end": value}), "application/json"),
            ("PUT", f"/api/payment-methods/{mine['pm']}/", dumps({"billing_details": value}), "application/json"),
            ("PUT", f"/api/payment-methods/{mine['pm']}/", dumps({"set_as_default": value}), "application/json"),
        ]  # fmt: skip
    weird_details = [{"name": nul}, {"name": emoji * 1000}, {"address": {"line1": nul}}, {"nope": 1},
                     {"name": {"nested": [1, 2]}}, {"email": "not-an-email"}, {"name": "x" * 100_000}]  # fmt: skip
    for details in weird_details:
        cases.append(
            ("PUT", f"/api/payment-methods/{mine['pm']}/", dumps({"billing_details": details}), "application/json")
        )
    for body in [b"", b"{", b"null", b"[]", b'"x"', b"1", b"\xff\xfe\x00", b'{"price_id": "\\ud800"}',
                 b'{"price_id": "a", "price_id": 1}', b"[" * 100_000 + b"]" * 100_000,
                 b'{"a":' * 900 + b"1" + b"}" * 900]:  # fmt: skip
        cases.append(("POST", "/api/subscriptions/", body, "application/json"))
    content_types = ["text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=x",
                     "application/x-www-form-urlencoded", "application/json; charset=latin-1", "*/*", ""]  # fmt: skip
    for content_type in content_types:
        cases.append(("POST", "/api/subscriptions/", dumps({"price_id": price}), content_type))
        cases.append(("POST", "/api/subscriptions/", b"price_id=%00&price_id=\xff", content_type))
    huge = {"price_id": price, "padding": "x" * (5 * MB)}
    cases += [
        ("POST", "/api/subscriptions/", dumps(huge), "application/json"),
        ("PUT", f"/api/payment-methods/{mine['pm']}/", dumps({"billing_details": {"name": "x" * (5 * MB)}}),
         "application/json"),
        ("POST", "/api/subscriptions/", b"price_id=" + b"x" * (5 * MB), "application/x-www-form-urlencoded"),
        ("GET", "/api/invoices/", dumps({"subscription": "x" * (5 * MB)}), "application/json"),
        ("GET", f"/api/invoices/?subscription={'x' * 5000}", None, None),
        ("GET", f"/api/products/?ids={'x,' * 3000}", None, None),
        ("POST", "/api/subscriptions/", dumps({"price_id": price, "default_payment_method": "pm_" + "x" * 5000}),
         "application/json"),
    ]  # fmt: skip
    return cases


def all_subscriptions() -> dict[str, str]:
    listed = get_client().v1.subscriptions.list({"status": "all", "limit": 100})
    return {subscription.id: subscription.customer for subscription in listed.auto_paging_iter()}


def snapshot(fake, world):
    watched = [world[name][key] for name in ("victim", "mallory") for key in ("customer", "pm", "sub")]
    return {object_id: fake.get(object_id) for object_id in watched}


def test_the_rest_api_answers_bad_input_without_a_500_or_a_leak(world, live_server, synced_fake):
    before = snapshot(synced_fake, world)
    subscriptions = all_subscriptions()
    statuses = {}
    for case in rest_cases(world):
        response = call(live_server, *case)
        assert_safe(response, case[:2], world, sent=case[1] + (case[2] or b"").decode(errors="replace"))
        statuses.setdefault(response.status, 0)
        statuses[response.status] += 1
    after = snapshot(synced_fake, world)
    assert after[world["victim"]["sub"]] == before[world["victim"]["sub"]]
    assert after[world["victim"]["pm"]] == before[world["victim"]["pm"]]
    assert after[world["victim"]["customer"]] == before[world["victim"]["customer"]]
    # Some rows of the table are valid requests (DRF reads 1 as true, a charset parameter is fine): whatever they
    # created is mallory's own.
    created = {sub_id: customer for sub_id, customer in all_subscriptions().items() if sub_id not in subscriptions}
    assert set(created.values()) <= {world["mallory"]["customer"]}
    assert {500, 502, 503} & set(statuses) == set()


def signed(body: bytes) -> dict[str, str]:
    return {"Stripe-Signature": sign(body)}


BAD, FINE = 400, 200
WEBHOOK_VARIANTS = {  # a change to a genuine event, signed: the answer expected
    "nul id": ({"id": "evt_\u0000"}, BAD),
    "emoji id": ({"id": "evt_\U0001f4b3"}, FINE),
    "long id": ({"id": "evt_" + "x" * 300}, BAD),
    "empty id": ({"id": ""}, BAD),
    "id a number": ({"id": 5}, BAD),
    "long type": ({"type": "customer." + "x" * 300}, BAD),
    "nul type": ({"type": "customer.created\u0000"}, BAD),
    "long api version": ({"api_version": "2" * 100}, BAD),
    "api version not a string": ({"api_version": {"x": 1}}, BAD),
    "huge created": ({"created": 10**20}, BAD),
    "negative created": ({"created": -(10**15)}, BAD),
    "float created": ({"created": 1.5}, BAD),
    "string created": ({"created": "1767225600"}, BAD),
    "boolean created": ({"created": True}, BAD),
    "data not a dict": ({"data": []}, BAD),
    "nul in a field": ({"data__object__email": "a\u0000@example.com"}, BAD),
    "nul in a key": ({"data__object__metadata": {"k\u0000": "v"}}, BAD),
    "lone surrogate": ({"data__object__name": "\ud800"}, BAD),
    "backslash-u text": ({"data__object__name": "C:\\u0000 is text"}, FINE),
    "emoji in a field": ({"data__object__name": "\U0001f4b3\u200d\U0001f525" * 100}, FINE),
    "right-to-left text": ({"data__object__name": "\u202e\u0645\u0631\u062d\u0628\u0627"}, FINE),
    # Stored and answered 200 (Stripe must stop retrying); the processing may fail, and keeps the error then.
    "no object": ({"data": {}}, FINE),
    "object not a dict": ({"data": {"object": "cus_1"}}, FINE),
    "object without id": ({"data": {"object": {"object": "customer"}}}, FINE),
    "object id not a string": ({"data": {"object": {"object": "customer", "id": 5}}}, FINE),
    "livemode a string": ({"livemode": "yes"}, FINE),
}


def variant(base: dict, number: int, changes: dict) -> bytes:
    payload = json.loads(json.dumps(base))
    payload["id"] = f"evt_variant_{number}"
    payload["data"]["object"]["id"] = f"cus_variant_{number}"  # one customer each: no same-second ties
    for path, value in changes.items():
        target = payload
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return dumps(payload)


def webhook_cases() -> list[tuple[str, bytes, dict[str, str], int]]:
    base = event("customer.created", CustomerPayloadFactory(), event_id="evt_variant_text")
    cases = []
    for number, (name, (changes, expected)) in enumerate(WEBHOOK_VARIANTS.items()):
        body = variant(base, number, changes)
        cases.append((name, body, signed(body), expected))
    body = dumps(base)
    nested = b"[" * 100_000 + b"]" * 100_000
    huge = dumps({**base, "id": "evt_huge", "padding": "x" * (5 * MB)})
    return cases + [
        ("text/plain", body, {**signed(body), "Content-Type": "text/plain"}, FINE),
        ("duplicate as a form", body, {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}, FINE),
        ("not utf-8", b"\xff\xfe" + body, signed(b"\xff\xfe" + body), BAD),
        ("nested 100,000 deep", nested, signed(nested), BAD),
        ("5 MB signed", huge, signed(huge), BAD),
        ("5 MB unsigned", huge, {}, BAD),
        ("empty body", b"", signed(b""), BAD),
    ]


def test_the_webhook_endpoint_answers_bad_input_with_a_400_not_a_500(live_server, stripe_fake, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    answers = {}
    for name, body, headers, _ in webhook_cases():
        response = post(live_server.url + "/api/webhook/", body, headers)
        answers[name] = response.status
        assert "Traceback" not in response.body and SECRET not in response.body, name
    assert answers == {name: expected for name, _, _, expected in webhook_cases()}

    # What was accepted is stored and went through processing: applied, or failed with the error kept.
    ids = {
        name: changes.get("id", f"evt_variant_{n}") for n, (name, (changes, _)) in enumerate(WEBHOOK_VARIANTS.items())
    }
    statuses = dict(WebhookEvent.objects.values_list("id", "status"))
    accepted = {ids[name] for name, (_, expected) in WEBHOOK_VARIANTS.items() if expected == FINE}
    assert set(statuses) == accepted | {"evt_variant_text"}
    assert statuses[ids["no object"]] == statuses[ids["object not a dict"]] == "failed"
    assert statuses[ids["object without id"]] == "processed"  # nothing to mirror, like invoice.upcoming
    assert "pending" not in statuses.values()
    assert not WebhookEvent.objects.filter(status="failed", error="").exists()
    names = set(Customer.objects.values_list("name", flat=True))
    assert {"\u202e\u0645\u0631\u062d\u0628\u0627", "C:\\u0000 is text", "\U0001f4b3\u200d\U0001f525" * 100} <= names
