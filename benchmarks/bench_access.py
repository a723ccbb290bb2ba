"""`is_subscribed` from the mirror, against the live-API check of the original design and the SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/bench_access.py \\
        [--sizes 1000 10000 100000] [--calls 2000]

Creates (and drops) a throw-away database `test_<db>`. At each size it fills N users, each with a
customer id, one subscription (one item) of a mix of statuses and, for most, an active entitlement, then
times, per call, for random users:
  - `is_subscribed(user, product)`: our path (one precompiled query);
  - the bare SQL floor: the same question as one hand-written EXISTS query on a raw cursor, with the same
    semantics (`access_items`: access statuses, the key's mode, tombstones left out);
  - `is_subscribed_with_cache` once warm (no query; a cache round trip);
  - `has_entitlement(user, feature)` and its floor, a hand-written EXISTS likewise;
  - the live-API design (the original django-stripe): `subscriptions.list(customer=..., status="active")`
    through the Stripe SDK to the fake Stripe over HTTP on loopback. Real Stripe is a WAN round trip away,
    so this baseline is the most favourable one the live design can get.
Ours and its floor are timed call by call in alternation (same user, order swapped every call), so that
both see the same load on a shared machine. The key is a test key, so both filter on `livemode`.
Prints a Markdown table; `--json` writes the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log on every cursor

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from django_stripe import payments  # noqa: E402
from django_stripe.client import get_client  # noqa: E402
from django_stripe.models import ActiveEntitlement, Subscription, SubscriptionItem  # noqa: E402
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.testing.server import FakeStripeServer  # noqa: E402

PRODUCT = "prod_bench"
FEATURE = "feature-bench"
SECRET_KEY = "sk_test_bench"  # a test key: reads keep the rows of livemode false
STATUSES = ["active"] * 6 + ["trialing", "past_due", "canceled", "incomplete"]
BATCH = 5_000
# access_items() by hand, for the default STRIPE_ACCESS_STATUSES, a test key and no access while paused.
FLOOR_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM django_stripe_subscription_item i
        JOIN django_stripe_subscription s ON s.id = i.subscription_id
        WHERE s.customer_id = %s AND s.status IN ('active', 'trialing') AND NOT s.deleted AND NOT s.livemode
          AND s.pause_collection_behavior IS NULL AND i.product_id = %s AND NOT i.deleted
    )
"""
# ActiveEntitlement.objects.live().filter(customer_id=..., lookup_key=...) by hand, for a test key.
ENTITLEMENT_FLOOR_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM django_stripe_active_entitlement
        WHERE customer_id = %s AND lookup_key = %s AND NOT deleted AND NOT livemode
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
        ActiveEntitlement.objects.bulk_create(
            ActiveEntitlement(
                id=f"ent_{n:07d}",
                customer_id=f"cus_{n:07d}",
                feature=f"feat_{n % 7}",
                lookup_key=FEATURE if n % 5 else f"feature-{n % 7}",
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


def alternated(functions: dict[str, Callable], arguments: list) -> dict[str, list[float]]:
    """Each function timed on each argument in turn, the order swapped every call: a burst of load on the
    shared machine, or the database's cache warmed by the first of a pair, weighs on all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in functions}
    pairs = list(functions.items())
    for number, argument in enumerate(arguments):
        for name, function in pairs if number % 2 else reversed(pairs):
            started = time.perf_counter()
            function(argument)
            samples[name].append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_us": statistics.median(ordered) * 1e6, "p95_us": ordered[int(len(ordered) * 0.95)] * 1e6}


def live_api_baseline(calls: int) -> dict[str, float]:
    """The original design: one Subscription.list per check, to the fake Stripe over HTTP."""
    server = FakeStripeServer(FakeStripe()).start()
    try:
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


def floor_check(cursor, sql: str, value: str) -> Callable:
    """The floor: one hand-written EXISTS on a raw cursor kept open."""

    def check(user) -> bool:
        cursor.execute(sql, [user.stripe_customer_id, value])
        return cursor.fetchone()[0]

    return check


def queries_of(function: Callable, argument) -> int:
    with CaptureQueriesContext(connection) as queries:
        function(argument)
    return len(queries)


def same_answers(ours: Callable, floor: Callable, users: list) -> None:
    """The floor is only a floor if it answers the same question: checked on every sampled user."""
    wrong = [user.username for user in users if bool(ours(user)) != bool(floor(user))]
    if wrong:
        raise SystemExit(f"ours and the floor disagree for {len(wrong)} users, e.g. {wrong[:3]}")


def measure(size: int, calls: int) -> dict:
    fill(size)
    User = get_user_model()
    picked = random.choices(range(size), k=calls)  # with replacement: the smallest size may be below `calls`
    by_name = User.objects.in_bulk([f"user{n}" for n in set(picked)], field_name="username")
    users = [by_name[f"user{n}"] for n in picked]
    subscribed = lambda user: payments.is_subscribed(user, PRODUCT)  # noqa: E731
    cached = lambda user: payments.is_subscribed_with_cache(user, PRODUCT)  # noqa: E731
    entitled = lambda user: payments.has_entitlement(user, FEATURE)  # noqa: E731
    with connection.cursor() as cursor:
        floor, entitlement_floor = (
            floor_check(cursor, FLOOR_SQL, PRODUCT),
            floor_check(cursor, ENTITLEMENT_FLOOR_SQL, FEATURE),
        )
        same_answers(subscribed, floor, users)
        same_answers(entitled, entitlement_floor, users)
        access = alternated({"ours": subscribed, "floor": floor}, users)
        entitlement = alternated({"ours": entitled, "floor": entitlement_floor}, users)
    # A hundred users, so that their answers all stay in a LocMemCache (it culls beyond 300 entries).
    warm = [users[n % 100] for n in range(len(users))]
    for user in warm[:100]:
        cached(user)
    return {
        "subscriptions": size,
        "queries_per_call": queries_of(subscribed, users[0]),
        "ours": summary(access["ours"]),
        "floor": summary(access["floor"]),
        "cached": {**summary(timed(cached, warm)), "queries_per_call": queries_of(cached, warm[0])},
        "entitlement": {
            "ours": summary(entitlement["ours"]),
            "floor": summary(entitlement["floor"]),
            "queries_per_call": queries_of(entitled, users[0]),
        },
    }


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
        with override_settings(STRIPE_SECRET_KEY=SECRET_KEY):
            results = [measure(size, args.calls) for size in sorted(args.sizes)]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    emit(args.json, {"database": connection.vendor, "cache": cache, "live_api": live, "results": results})
    print_tables(live, results, cache)


def print_tables(live: dict, results: list[dict], cache: str) -> None:
    print(f"\nlive-API check (fake Stripe over HTTP): median {live['median_us']:.0f} µs\n")
    print(
        "| subscriptions | queries/call | is_subscribed median (µs) | p95 (µs) | SQL floor median (µs) "
        f"| vs floor | live API is slower by | cached, warm (µs, {cache}) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in results:
        ours, floor = row["ours"]["median_us"], row["floor"]["median_us"]
        print(
            f"| {row['subscriptions']:,} | {row['queries_per_call']} | {ours:.0f} | {row['ours']['p95_us']:.0f} "
            f"| {floor:.0f} | {ours / floor:.2f}x | {live['median_us'] / ours:.1f}x "
            f"| {row['cached']['median_us']:.0f} ({row['cached']['queries_per_call']} queries) |"
        )
    print("\n| subscriptions | has_entitlement median (µs) | SQL floor median (µs) | vs floor |")
    print("| ---: | ---: | ---: | ---: |")
    for row in results:
        ours, floor = row["entitlement"]["ours"]["median_us"], row["entitlement"]["floor"]["median_us"]
        print(f"| {row['subscriptions']:,} | {ours:.0f} | {floor:.0f} | {ours / floor:.2f}x |")


if __name__ == "__main__":
    main()
