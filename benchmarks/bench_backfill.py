"""Backfill throughput and memory against the fake Stripe served over HTTP from another process.

    .venv/bin/python benchmarks/bench_backfill.py [--sizes 1000 10000 100000] [--latency-ms 150 --latency-size 3000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/bench_backfill.py

For each size N, a fake Stripe holding N products is served by its own process (filled in-process, then
`FakeStripeServer`), and three fresh client processes walk the same N/100 pages:
  - "SDK pages": `client.v1.products.list(limit=100, starting_after=...)`, the SDK's typed objects,
    nothing written: what it costs just to read the pages the usual way;
  - "raw pages": `client.raw_request("get", "/v1/products", ...)`, nothing written: exactly the requests
    and parsing of the backfill, so the difference to the next line is what the sync adds;
  - "backfill": `backfill_type("products", restart=True)` into an empty mirror (SQLite file, or the
    DATABASE_URL database, whose product rows are deleted first): bulk upserts, cursor per page.
Objects per second of each, the backfill's cost over the raw walk, and the peak RSS of the backfill's
process (ru_maxrss) with the part that the run itself added (peak minus RSS before the run).

Then, at `--latency-size` objects, the raw walk and the backfill once against a fake that answers at once
and once against one that makes every request wait `--latency-ms` (Stripe's round trip): the backfill
fetches the next page while it writes the current one, so with latency its time should be the walk's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KEY = "sk_test_bench"
KINDS = ("sdk", "raw", "sync")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the server process ------------------------------------------------------------------------------------


def serve(size: int, port: int, latency_ms: float = 0) -> None:
    sys.path.insert(0, ROOT)
    from django_stripe.testing.fake import FakeStripe
    from django_stripe.testing.fake.resources.catalog import create_product
    from django_stripe.testing.server import FakeStripeServer

    fake = FakeStripe()
    with fake.locked():
        for n in range(size):
            create_product(fake, {"name": f"Product {n}", "metadata": {"n": str(n)}})
    fake._events.clear()  # the creation events are not what is measured; they only take memory
    fake.latency = latency_ms / 1000
    server = FakeStripeServer(fake, port=port)
    print("ready", flush=True)
    server.serve_forever()


# -- the client processes ----------------------------------------------------------------------------------


def setup_django(url: str, db: str | None) -> None:
    sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: DEBUG keeps every SQL statement's text
    if db:
        os.environ["DATABASE_URL"] = db
    os.environ["STRIPE_SECRET_KEY"] = KEY
    os.environ["STRIPE_API_BASE"] = url
    import django

    django.setup()


def walk(kind: str, url: str) -> dict:
    import stripe

    client = stripe.StripeClient(KEY, base_addresses={"api": url})
    started, count, after = time.perf_counter(), 0, None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        if kind == "sdk":
            page = client.v1.products.list(params)
            data, has_more = page.data, page.has_more
        else:
            body = client.raw_request("get", "/v1/products", **params).data
            data, has_more = body["data"], body["has_more"]
        count += len(data)
        if not (has_more and data):
            break
        after = data[-1]["id"]
    return {"objects": count, "seconds": time.perf_counter() - started}


def sync(url: str, db: str | None) -> dict:
    setup_django(url, db)
    from django.core.management import call_command

    from django_stripe import models
    from django_stripe.sync.backfill import backfill_type

    call_command("migrate", verbosity=0)
    empty_products()
    models.SyncCursor.objects.filter(pk="products").delete()
    before = rss_mb()
    started = time.perf_counter()
    result = backfill_type("products", restart=True)
    seconds = time.perf_counter() - started
    assert models.Product.objects.count() == result.fetched == result.counts.created
    return {"objects": result.fetched, "seconds": seconds, "rss_before": before, "peak": peak_mb()}


def empty_products() -> None:
    """An empty product table; on PostgreSQL truncated, so that the earlier runs' dead rows are not in the
    pass's scans (the tombstone query), as they would not be in a first backfill."""
    from django.db import connection

    from django_stripe import models

    if connection.vendor != "postgresql":
        models.Product.objects.all().delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(models.Product._meta.db_table)}")


def child(argv: list[str]) -> None:
    kind, url, db = argv[0], argv[1], (argv[2] if len(argv) > 2 and argv[2] else None)
    sys.path.insert(0, ROOT)
    print(json.dumps(sync(url, db) if kind == "sync" else walk(kind, url)))


# -- the harness -------------------------------------------------------------------------------------------


def run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(size: int, db: str | None, port: int, latency_ms: float = 0, kinds: tuple[str, ...] = KINDS) -> dict:
    """Each of `kinds` walked once, in its own process, against a fake holding `size` products."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(size), "--port", str(port), "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        url = f"http://127.0.0.1:{port}"
        figures = {kind: run_child(kind, url, db or "") for kind in kinds}
    finally:
        server.terminate()
        server.wait()
    return {"size": size, "latency_ms": latency_ms, **figures}


def measure_latency(size: int, latency_ms: float, db: str, port: int) -> list[dict]:
    """The raw walk and the backfill without latency, then with it: what the fetch ahead hides."""
    return [measure(size, db, port, ms, kinds=("raw", "sync")) for ms in (0, latency_ms)]


def main() -> None:
    if "--serve" in sys.argv:
        options = argparse.ArgumentParser()
        options.add_argument("--serve", type=int)
        options.add_argument("--port", type=int)
        options.add_argument("--latency-ms", type=float, default=0)
        parsed = options.parse_args()
        serve(parsed.serve, parsed.port, parsed.latency_ms)
        return
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1 :])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--port", type=int, default=12199)
    parser.add_argument("--latency-ms", type=float, default=150, help="Stripe's round trip, for the latency run")
    parser.add_argument("--latency-size", type=int, default=3000, help="objects of the latency run (0: no run)")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    sys.path.insert(0, ROOT)
    from benchmarks.results import emit

    rows = []
    database = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"database: {database or 'SQLite file'}\n")
        print(
            "| products | SDK pages obj/s | raw pages obj/s | backfill obj/s | backfill / raw time | "
            "peak RSS MB | RSS added by the run MB |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in options.sizes:
            db = database or f"sqlite:///{os.path.join(tmp, f'bench_{size}.sqlite3')}"
            row = measure(size, db, options.port)
            rows.append(row)
            sdk, raw, run = row["sdk"], row["raw"], row["sync"]
            print(
                f"| {size:,} | {sdk['objects'] / sdk['seconds']:,.0f} | {raw['objects'] / raw['seconds']:,.0f} "
                f"| {run['objects'] / run['seconds']:,.0f} | {run['seconds'] / raw['seconds']:.2f} "
                f"| {run['peak']:.0f} | {run['peak'] - run['rss_before']:.1f} |",
                flush=True,
            )
        latency = []
        if options.latency_size:
            db = database or f"sqlite:///{os.path.join(tmp, 'bench_latency.sqlite3')}"
            latency = measure_latency(options.latency_size, options.latency_ms, db, options.port)
            print_latency(latency)
    emit(options.json, {"database": database or "sqlite", "sizes": rows, "latency": latency})


def print_latency(rows: list[dict]) -> None:
    print("\n| products | latency per request ms | raw pages s | backfill s | backfill / raw time | peak RSS MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        raw, run = row["raw"], row["sync"]
        print(
            f"| {row['size']:,} | {row['latency_ms']:.0f} | {raw['seconds']:.2f} | {run['seconds']:.2f} "
            f"| {run['seconds'] / raw['seconds']:.3f} | {run['peak']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
