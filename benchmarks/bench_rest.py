"""REST API throughput under a real WSGI server: answered from the mirror, by a bare Django view from the
same rows (the floor), and by calling Stripe (the live-API design).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/bench_rest.py \\
        [--objects 10000] [--seconds 8] [--clients 4] [--only products prices ...]

Creates (and drops) `test_<db>`. Starts the fake Stripe (`python -m django_stripe.testing.server`) and
gunicorn (2 workers, one per core; database connections kept `--conn-max-age` seconds, see
`benchmarks/rest_settings.py`) serving the example project plus the routes of `benchmarks/live_api.py`:
the live-API baseline and the bare views of `benchmarks/bare_views.py`. The benchmark user has 3
subscriptions, their invoices and a default card at the fake and in the mirror; the catalogue has 10
products of 3 prices; filler rows of other customers bring the mirror to `--objects` rows. Before measuring,
each bare view's JSON is checked equal to the API's. Every list is loaded by `--clients` keep-alive HTTP
clients (threads of this process), logged in with a session cookie, for `--seconds` per way of answering,
in two rounds (mirror, floor, live, then the other way round) so that all three see the same load. Also
counts SQL queries per request: all of them, and the view's own (the session and user lookups left out).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
os.environ["DJANGO_DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from benchmarks.servers import free_port, wait_for  # noqa: E402
from django_stripe.client import get_client  # noqa: E402
from django_stripe.models import Invoice, PaymentMethod, Subscription  # noqa: E402
from django_stripe.payments import mirror_stripe_object  # noqa: E402

LISTS = {
    "products": "products/",
    "prices": "prices/",
    "subscriptions": "subscriptions/",
    "invoices": "invoices/",
    "payment methods": "payment-methods/",
}
# How each list is answered: the API from the mirror, the bare view (floor), the live-API design (baseline).
WAYS = {"mirror": "/api/", "floor": "/bare/", "live_api": "/live/"}
SECRET_KEY = "sk_test_bench"
ROUNDS = 2


def build_catalogue_and_customer() -> str:
    """Products, prices and one customer with 3 subscriptions at the fake; mirrored as Stripe returned them."""
    client = get_client()
    prices = []
    for number in range(10):
        product = client.v1.products.create(params={"name": f"Plan {number}"})
        mirror_stripe_object(product)
        for amount in (1000, 2000, 3000):
            price = client.v1.prices.create(
                params={
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": amount + number,
                    "recurring": {"interval": "month"},
                }
            )
            mirror_stripe_object(price)
            prices.append(price.id)
    customer = client.v1.customers.create(params={"email": "bench@example.com"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    mirror_stripe_object(card)
    mirror_stripe_object(
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    )
    for price in prices[:3]:
        mirror_stripe_object(
            client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"price": price}], "default_payment_method": card.id}
            )
        )
    for invoice in client.v1.invoices.list(params={"customer": customer.id}):
        mirror_stripe_object(invoice)
    return customer.id


def add_filler(objects: int) -> None:
    """Other customers' subscriptions, invoices and cards, so the tables hold `objects` rows in all."""
    now = timezone.now()
    count = max(objects // 3, 0)
    Subscription.objects.bulk_create(
        [
            Subscription(
                id=f"sub_fill{n:07d}",
                customer_id=f"cus_fill{n % 3000:05d}",
                status="active",
                synced_at=now,
                created=now,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                id=f"in_fill{n:07d}", customer_id=f"cus_fill{n % 3000:05d}", status="paid", synced_at=now, created=now
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                id=f"pm_fill{n:07d}", customer_id=f"cus_fill{n % 3000:05d}", type="card", synced_at=now, created=now
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def load(port: int, path: str, cookie: str, seconds: float, clients: int) -> dict[str, float]:
    done, errors, latencies = [0] * clients, [0] * clients, []
    stop = time.time() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < stop:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status == 200:
                done[index] += 1
            else:
                errors[index] += 1
        connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    latencies.sort()
    return {
        "requests_per_second": sum(done) / elapsed,
        "errors": sum(errors),
        "median_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0,
    }


def queries_per_request(client: Client, path: str) -> dict[str, int]:
    """All the queries of a request, and the view's own (those on django_stripe's tables)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, HTTP_ACCEPT="application/json").status_code == 200
    own = [query for query in queries if "django_stripe_" in query["sql"]]
    return {"all": len(queries), "view": len(own)}


def check_floor_answers_the_same(client: Client) -> None:
    """A floor that answered something else would measure something else."""
    for name, path in LISTS.items():
        ours, floor = (client.get(WAYS[way] + path, HTTP_ACCEPT="application/json") for way in ("mirror", "floor"))
        assert ours.status_code == floor.status_code == 200, (name, ours.status_code, floor.status_code)
        if json.loads(ours.content) != json.loads(floor.content):
            raise SystemExit(
                f"the bare view of {name} answers other JSON than the API:\n{ours.content[:500]}\n{floor.content[:500]}"
            )


def measure(port: int, names: list[str], cookie: str, seconds: float, clients: int) -> dict[str, dict]:
    """Every way of answering every list, in ROUNDS rounds of alternating order; rates over all rounds."""
    runs: dict[str, dict[str, list[dict]]] = {name: {way: [] for way in WAYS} for name in names}
    for number in range(ROUNDS):
        for name in names:
            ways = list(WAYS) if number % 2 == 0 else list(reversed(WAYS))
            for way in ways:
                runs[name][way].append(load(port, WAYS[way] + LISTS[name], cookie, seconds / ROUNDS, clients))
    return {name: {way: combined(parts) for way, parts in ways.items()} for name, ways in runs.items()}


def combined(parts: list[dict]) -> dict[str, float]:
    return {
        "requests_per_second": sum(part["requests_per_second"] for part in parts) / len(parts),
        "errors": sum(part["errors"] for part in parts),
        "median_ms": sorted(part["median_ms"] for part in parts)[len(parts) // 2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", nargs="+", choices=list(LISTS), help="measure only these lists")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="the server's CONN_MAX_AGE (0: a new connection per request)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    names = args.only or list(LISTS)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    database = settings.DATABASES["default"]
    fake_port, web_port = free_port(), free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "django_stripe.testing.server", "--port", str(fake_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    web = None
    try:
        wait_for(fake_port)
        api_base = f"http://127.0.0.1:{fake_port}"
        with override_settings(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=api_base, STRIPE_HTTP_CLIENT=None):
            customer_id = build_catalogue_and_customer()
        add_filler(args.objects)
        user = get_user_model().objects.create_user("bench", "bench@example.com", "!", stripe_customer_id=customer_id)
        cookie = session_cookie(user)
        client = Client()
        client.force_login(user)
        with override_settings(STRIPE_SECRET_KEY=SECRET_KEY):  # the key gunicorn runs with: test mode
            check_floor_answers_the_same(client)
            queries = {name: queries_per_request(client, WAYS["mirror"] + LISTS[name]) for name in names}
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "example_project")]),
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_API_BASE": api_base,
            "DJANGO_SETTINGS_MODULE": "benchmarks.rest_settings",
            "DJANGO_STRIPE_BENCH_CONN_MAX_AGE": str(args.conn_max_age),
        }
        web = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "example_project.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for(web_port)
        for name in names:
            for prefix in WAYS.values():
                load(web_port, prefix + LISTS[name], cookie, 1, 2)  # warm up both workers
        results = measure(web_port, names, cookie, args.seconds, args.clients)
        for name in names:
            results[name]["queries_per_request"] = queries[name]["all"]
            results[name]["view_queries_per_request"] = queries[name]["view"]
    finally:
        for process in (web, fake):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    emit(
        args.json,
        {"objects": args.objects, "clients": args.clients, "conn_max_age": args.conn_max_age, "results": results},
    )
    print_table(results)


def print_table(results: dict[str, dict]) -> None:
    print(
        "\n| list | queries/request (view's own) | mirror req/s | mirror median ms | bare view req/s | mirror / bare "
        "| live-API req/s | mirror / live |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, row in results.items():
        ours, floor, live = (row[way]["requests_per_second"] for way in WAYS)
        print(
            f"| {name} | {row['queries_per_request']} ({row['view_queries_per_request']}) | {ours:.0f} "
            f"| {row['mirror']['median_ms']:.1f} | {floor:.0f} | {ours / floor:.2f}x "
            f"| {live:.0f} | {ours / live if live else float('inf'):.1f}x |"
        )
    errors = {name: {way: row[way]["errors"] for way in WAYS if row[way]["errors"]} for name, row in results.items()}
    if any(errors.values()):
        print(f"\nrequests answered other than 200: {errors}")


if __name__ == "__main__":
    main()
