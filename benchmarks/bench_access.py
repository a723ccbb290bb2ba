"""`is_subscribed` from the mirror, against the live-API check of the original design and the SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/bench_access.py \\
        [--sizes 1000 10000 100000] [--calls 2000]

Creates (and drops) a throw-away database `test_<db>`. At each size it fills N users, each with a
customer id and one subscription (one item) of a mix of statuses, then times, per call, for random users:
  - `is_subscribed(user, product)`: our path (one indexed query through the ORM);
  - the bare SQL floor: the same question as one hand-written EXISTS query on a raw cursor;
  - the live-API design (the original django-stripe): `subscriptions.list(customer=..., status="active")`
    through the Stripe SDK to the fake Stripe over HTTP on loopback. Real Stripe is a WAN round trip away,
    so this baseline is the most favourable one the live design can get.
Prints a JSON line per size and a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log on every cursor

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from django_stripe import payments  # noqa: E402
from django_stripe.client import get_client  # noqa: E402
from django_stripe.models import Subscription, SubscriptionItem  # noqa: E402
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.testing.server import FakeStripeServer  # noqa: E402

PRODUCT = "prod_bench"
STATUSES = ["active"] * 6 + ["trialing", "past_due", "canceled", "incomplete"]
BATCH = 5_000
FLOOR_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM django_stripe_subscription_item i
        JOIN django_stripe_subscription s ON s.id = i.subscription_id
        WHERE s.customer_id = %s AND s.status IN ('active', 'trialing') AND NOT s.deleted
          AND i.product_id = %s AND NOT i.deleted
    )
"""


def fill(count: int) -> None:
    """Add users (each with a subscription) until there are `count` of them."""
    User = get_user_model()
    start = User.objects.count()
    now = timezone.now()
    for first in range(start, count, BATCH):
        numbers = range(first, min(first + BATCH, count))
        User.objects.bulk_create(
            User(username=f"user{n}", password="!", stripe_customer_id=f"cus_{n:07d}") for n in numbers
        )
        Subscription.objects.bulk_create(
            Subscription(
                id=f"sub_{n:07d}",
                customer_id=f"cus_{n:07d}",
                status=random.choice(STATUSES),
                synced_at=now,
                current_period_end=now,
                created=now,
            )
            for n in numbers
        )
        SubscriptionItem.objects.bulk_create(
            SubscriptionItem(
                id=f"si_{n:07d}",
                subscription_id=f"sub_{n:07d}",
                price_id="price_bench",
                product_id=PRODUCT if n % 5 else "prod_other",
                synced_at=now,
            )
            for n in numbers
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def timed(function, arguments: list) -> list[float]:
    samples = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        samples.append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_us": statistics.median(ordered) * 1e6, "p95_us": ordered[int(len(ordered) * 0.95)] * 1e6}


def live_api_baseline(calls: int) -> dict[str, float]:
    """The original design: one Subscription.list per check, to the fake Stripe over HTTP."""
    server = FakeStripeServer(FakeStripe()).start()
    try:
        from django.test import override_settings

        with override_settings(STRIPE_SECRET_KEY="sk_test_bench", STRIPE_API_BASE=server.url, STRIPE_HTTP_CLIENT=None):
            client = get_client()
            product = client.v1.products.create(params={"name": "Bench"})
            price = client.v1.prices.create(
                params={
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": 1000,
                    "recurring": {"interval": "month"},
                }
            )
            customers = []
            for n in range(50):  # each customer with one active subscription, as a subscribed user has
                customer = client.v1.customers.create(params={"email": f"c{n}@example.com"})
                card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
                client.v1.subscriptions.create(
                    params={"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": card.id}
                )
                customers.append(customer.id)
            check = lambda customer: client.v1.subscriptions.list(  # noqa: E731
                params={"customer": customer, "status": "active", "limit": 10}
            )
            timed(check, customers)  # warm the connection pool
            return summary(timed(check, [random.choice(customers) for _ in range(calls)]))
    finally:
        server.stop()


def measure(size: int, calls: int) -> dict:
    fill(size)
    User = get_user_model()
    picked = random.choices(range(size), k=calls)  # with replacement: the smallest size may be below `calls`
    by_name = User.objects.in_bulk([f"user{n}" for n in set(picked)], field_name="username")
    users = [by_name[f"user{n}"] for n in picked]
    with CaptureQueriesContext(connection) as queries:
        payments.is_subscribed(users[0], PRODUCT)
    ours = summary(timed(lambda user: payments.is_subscribed(user, PRODUCT), users))
    with connection.cursor() as cursor:

        def floor_query(user) -> None:
            cursor.execute(FLOOR_SQL, [user.stripe_customer_id, PRODUCT])
            cursor.fetchone()

        floor = summary(timed(floor_query, users))
    return {"subscriptions": size, "queries_per_call": len(queries), "ours": ours, "floor": floor}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    random.seed(7)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        live = live_api_baseline(min(args.calls, 500))
        results = [measure(size, args.calls) for size in sorted(args.sizes)]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    emit(args.json, {"database": connection.vendor, "live_api": live, "results": results})
    print(f"\nlive-API check (fake Stripe over HTTP): median {live['median_us']:.0f} µs\n")
    print(
        "| subscriptions | queries/call | is_subscribed median (µs) | p95 (µs) | SQL floor median (µs) "
        "| vs floor | live API is slower by |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in results:
        ours, floor = row["ours"]["median_us"], row["floor"]["median_us"]
        print(
            f"| {row['subscriptions']:,} | {row['queries_per_call']} | {ours:.0f} | {row['ours']['p95_us']:.0f} "
            f"| {floor:.0f} | {ours / floor:.1f}x | {live['median_us'] / ours:.0f}x |"
        )


if __name__ == "__main__":
    main()
