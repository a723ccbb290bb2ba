"""dj-stripe's half of `benchmarks/bench_djstripe.py`, run by it with the python of a venv that holds
dj-stripe 2.11 (never ours: its Django and stripe pins differ). Nothing in django_stripe or its tests
imports this file.

    benchmarks/.djstripe-venv/bin/python benchmarks/djstripe_side.py --payloads events.json \\
        --database-url postgres://postgres@127.0.0.1:5432/djstripe_side --stripe-api http://127.0.0.1:PORT

It creates the database (dropping it first if a run left it), migrates dj-stripe into it, and measures on
the events of the JSON file (a list of Stripe event payloads):
  - statements and Stripe API calls per event, on the first `--sample` events (not timed);
  - events/s applied by `Event.process(payload)`, what dj-stripe's webhook path calls for each event;
  - events/s through its webhook view (`ProcessWebhookView`, `/webhook/<uuid>/`), each POST signed with
    the endpoint's secret, sent in-process through django.test.Client.
Each measurement starts from an emptied database. dj-stripe re-fetches every object an event is about from
the Stripe API (and the related objects it does not hold yet): `--stripe-api` is the fake Stripe, which the
caller has seeded with those objects. Prints one JSON line with the figures, then drops the database.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import time
from collections import Counter
from importlib import metadata
from urllib.parse import urlsplit

import django
import psycopg
import stripe
from django.conf import settings

API_KEY = "sk_test_" + "djstripebench" * 2  # any sk_test_ key of 24+ characters: the fake takes any
ACCOUNT_ID = "acct_djstripebench"
WEBHOOK_SECRET = "whsec_djstripebench"
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# A Stripe id in a request path (cus_test00000001, sub_..., in_...), so that calls group by endpoint.
OBJECT_ID = re.compile(r"/[a-z]+_[A-Za-z]*\d[A-Za-z0-9]*")


class CountingClient(stripe.RequestsClient):
    """The SDK's usual HTTP client (requests, keep-alive), counting the calls by method and endpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def request(self, method, url, headers, post_data=None):
        self.calls[f"{method.upper()} {OBJECT_ID.sub('/{id}', urlsplit(url).path)}"] += 1
        return super().request(method, url, headers, post_data)


def configure(database_url: str, stripe_api: str) -> None:
    """A minimal project: dj-stripe, the middleware of a default Django project, PostgreSQL."""
    url = urlsplit(database_url)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="djstripe-bench",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "djstripe",
        ],
        # The same middleware as the example project our endpoint runs in, so both views pay the same for it.
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        ROOT_URLCONF="djstripe.urls",  # its webhook view at /webhook/<uuid>/
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": url.path.lstrip("/"),
                "USER": url.username or "postgres",
                "PASSWORD": url.password or "",
                "HOST": url.hostname or "127.0.0.1",
                "PORT": str(url.port or 5432),
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # Tables made straight from the models, as Django's test runner does with MIGRATE False: the schema the
        # migrations end at, without replaying dj-stripe's long history of them (about 30 s here).
        MIGRATION_MODULES={app: None for app in ("auth", "contenttypes", "sessions", "djstripe")},
        STRIPE_LIVE_MODE=False,
        STRIPE_TEST_SECRET_KEY=API_KEY,
        STRIPE_API_HOST=stripe_api,  # dj-stripe sets stripe.api_base from it (meant for stripe-mock)
        DJSTRIPE_FOREIGN_KEY_TO_FIELD="id",
        # Read by its checks only: since 2.8 each WebhookEndpoint row carries its validation (this one, the default).
        DJSTRIPE_WEBHOOK_VALIDATION="verify_signature",
        LOGGING={"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}},
    )
    django.setup()


def recreate_database(database_url: str, drop_only: bool = False) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{name}"')


def reset():
    """Empty every table, then the rows a running dj-stripe deployment already holds before its next event:
    its Stripe account and API key (dj-stripe fetches the account once, on the first event of a key: the
    fake has no /v1/account, and a one-time call is no per-event cost) and the webhook endpoint with the
    secret that signs the deliveries. Returns the endpoint."""
    from django.core.management import call_command
    from djstripe.enums import APIKeyType
    from djstripe.models import Account, APIKey, WebhookEndpoint

    call_command("flush", interactive=False, verbosity=0)
    account = Account.objects.create(id=ACCOUNT_ID, livemode=False)
    APIKey.objects.create(secret=API_KEY, type=APIKeyType.secret, livemode=False, djstripe_owner_account=account)
    return WebhookEndpoint.objects.create(
        id="we_djstripebench",
        livemode=False,
        djstripe_owner_account=account,
        secret=WEBHOOK_SECRET,
        url="https://example.com/webhook/",
        enabled_events=["*"],
        status="enabled",
        api_version=stripe.api_version,
    )


def sample_costs(payloads: list[dict], client: CountingClient) -> dict:
    """Statements and API calls per event on `payloads` (not timed: capturing the SQL slows it down), overall
    and by event type."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from djstripe.models import Event

    reset()
    statements: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    client.calls.clear()
    for payload in payloads:
        before = sum(client.calls.values())
        connection.queries_log.clear()  # it keeps 9,000 queries at most, after which a capture comes back empty
        with CaptureQueriesContext(connection) as captured:
            Event.process(payload)
        statements[payload["type"]] += sum(not query["sql"].startswith(CONTROL) for query in captured)
        calls[payload["type"]] += sum(client.calls.values()) - before
    events = Counter(payload["type"] for payload in payloads)
    return {
        "statements_per_event": sum(statements.values()) / len(payloads),
        "api_calls_per_event": sum(calls.values()) / len(payloads),
        "statements_by_type": {kind: statements[kind] / count for kind, count in events.items()},
        "api_calls_by_type": {kind: calls[kind] / count for kind, count in events.items()},
        "api_calls_by_endpoint": {name: count / len(payloads) for name, count in client.calls.most_common()},
    }


def apply(payloads: list[dict], client: CountingClient) -> dict:
    """Events/s through `Event.process`, one event after the other, as dj-stripe's webhook path applies them."""
    from djstripe.models import Event

    reset()
    client.calls.clear()
    started = time.perf_counter()
    for payload in payloads:
        Event.process(payload)
    elapsed = time.perf_counter() - started
    assert Event.objects.count() == len(payloads)
    check_mirrored(payloads)
    return {"events_per_second": len(payloads) / elapsed, "seconds": elapsed, "api_calls": sum(client.calls.values())}


def check_mirrored(payloads: list[dict]) -> None:
    """Every customer, subscription and invoice of the events has its row: the speed is of real work."""
    from djstripe.models import Customer, Invoice, Subscription

    objects = {(payload["data"]["object"]["object"], payload["data"]["object"]["id"]) for payload in payloads}
    expected = Counter(kind for kind, _ in objects)
    models = {"customer": Customer, "subscription": Subscription, "invoice": Invoice}
    found = {kind: model.objects.count() for kind, model in models.items()}
    assert found == {kind: expected[kind] for kind in models}, (found, expected)


def sign(body: bytes) -> str:
    """Stripe's signature header: `t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the endpoint secret>`."""
    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def view(payloads: list[dict], client: CountingClient) -> dict:
    """Events/s POSTed to dj-stripe's webhook view in-process, every one answered 200. Signed just before it
    is sent (one HMAC, a few µs), so that a slow run never falls outside the 5-minute tolerance."""
    from django.test import Client
    from djstripe.models import Event, WebhookEventTrigger

    endpoint = reset()
    url = f"/webhook/{endpoint.djstripe_uuid}/"
    bodies = [json.dumps(payload).encode() for payload in payloads]
    browser = Client()
    client.calls.clear()
    started = time.perf_counter()
    for body in bodies:
        response = browser.post(url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))
        assert response.status_code == 200, (response.status_code, response.content[:200])
    elapsed = time.perf_counter() - started
    check_mirrored(payloads)
    # The view applies the event before answering (no DJSTRIPE_WEBHOOK_EVENT_CALLBACK is set): check it did.
    processed = WebhookEventTrigger.objects.filter(valid=True, processed=True).count()
    return {
        "events_per_second": len(payloads) / elapsed,
        "seconds": elapsed,
        "api_calls": sum(client.calls.values()),
        "applied_in_request": processed == len(payloads) and Event.objects.count() == len(payloads),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payloads", required=True, help="JSON file: a list of Stripe event payloads")
    parser.add_argument("--database-url", required=True, help="postgres://user@host:port/name (created, dropped)")
    parser.add_argument("--stripe-api", required=True, help="base URL of the (seeded) fake Stripe")
    parser.add_argument("--sample", type=int, default=300, help="events whose statements and API calls are counted")
    args = parser.parse_args()
    with open(args.payloads) as source:
        payloads = json.load(source)
    recreate_database(args.database_url)
    try:
        configure(args.database_url, args.stripe_api)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", run_syncdb=True, verbosity=0)
        client = CountingClient()
        stripe.default_http_client = client
        costs = sample_costs(payloads[: args.sample], client)
        applied = apply(payloads, client)
        viewed = view(payloads, client)
        connection.close()
    finally:
        recreate_database(args.database_url, drop_only=True)
    versions = {name: metadata.version(name) for name in ("dj-stripe", "django", "stripe")}
    print(json.dumps({"versions": versions, "events": len(payloads), "sample": min(args.sample, len(payloads)),
                      **costs, "apply": applied, "view": viewed}))  # fmt: skip


if __name__ == "__main__":
    main()
