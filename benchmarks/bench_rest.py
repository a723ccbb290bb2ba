"""REST API throughput under a real WSGI server, answered from the mirror vs by calling Stripe.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/bench_rest.py \\
        [--objects 10000] [--seconds 8] [--clients 4]

Creates (and drops) `test_<db>`. Starts the fake Stripe (`python -m django_stripe.testing.server`) and
gunicorn (2 workers, one per core) serving the example project plus the baseline routes of
`benchmarks/live_api.py`. The benchmark user has 3 subscriptions and their invoices at the fake and in the
mirror; the catalogue has 10 products of 3 prices; filler rows of other customers bring the mirror to
`--objects` rows. Every endpoint is loaded by `--clients` keep-alive HTTP clients (threads of this
process) for `--seconds`, logged in with a session cookie. Also counts SQL queries per request.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
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
from django_stripe.client import get_client  # noqa: E402
from django_stripe.models import Invoice, Subscription  # noqa: E402
from django_stripe.payments.mirror import remember  # noqa: E402

ENDPOINTS = {"products": "/api/products/", "subscriptions": "/api/subscriptions/", "invoices": "/api/invoices/"}
BASELINES = {"products": "/live/products/", "subscriptions": "/live/subscriptions/", "invoices": "/live/invoices/"}
SECRET_KEY = "sk_test_bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def build_catalogue_and_customer() -> str:
    """Products, prices and one customer with 3 subscriptions at the fake; mirrored as Stripe returned them."""
    client = get_client()
    prices = []
    for number in range(10):
        product = client.v1.products.create(params={"name": f"Plan {number}"})
        remember(product)
        for amount in (1000, 2000, 3000):
            price = client.v1.prices.create(
                params={
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": amount + number,
                    "recurring": {"interval": "month"},
                }
            )
            remember(price)
            prices.append(price.id)
    customer = client.v1.customers.create(params={"email": "bench@example.com"})
    remember(customer)
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    for price in prices[:3]:
        remember(
            client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"price": price}], "default_payment_method": card.id}
            )
        )
    for invoice in client.v1.invoices.list(params={"customer": customer.id}):
        remember(invoice)
    return customer.id


def add_filler(objects: int) -> None:
    """Other customers' subscriptions and invoices, so the tables hold `objects` rows in all."""
    now = timezone.now()
    count = max(objects // 2, 0)
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


def queries_per_request(user, path: str) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, HTTP_ACCEPT="application/json").status_code == 200
    return len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
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
        queries = {name: queries_per_request(user, path) for name, path in ENDPOINTS.items()}
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "example_project")]),
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_API_BASE": api_base,
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
        for path in [*ENDPOINTS.values(), *BASELINES.values()]:
            load(web_port, path, cookie, 1, 1)  # warm up both workers
        results = {
            name: {
                "mirror": load(web_port, ENDPOINTS[name], cookie, args.seconds, args.clients),
                "live_api": load(web_port, BASELINES[name], cookie, args.seconds, args.clients),
                "queries_per_request": queries[name],
            }
            for name in ENDPOINTS
        }
    finally:
        for process in (web, fake):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    emit(args.json, {"objects": args.objects, "clients": args.clients, "results": results})
    print(
        "\n| list | queries/request | mirror req/s | mirror median ms | live-API req/s | live-API median ms "
        "| mirror / live |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, row in results.items():
        ours, live = row["mirror"], row["live_api"]
        print(
            f"| {name} | {row['queries_per_request']} | {ours['requests_per_second']:.0f} | {ours['median_ms']:.1f} "
            f"| {live['requests_per_second']:.0f} | {live['median_ms']:.1f} "
            f"| {ours['requests_per_second'] / live['requests_per_second']:.1f}x |"
        )


if __name__ == "__main__":
    main()
