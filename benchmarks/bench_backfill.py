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

Then, at Stripe's rate limit (issue 28; JSON key `rate_limited`, `--rate-limits 25 100`): a fake holding
`--rate-limited-size` products (put straight into its store, one a second back in time, so that `created`
ranges split them), answering every request after `--latency-ms` and over `fake.rate_limit` with Stripe's 429;
the real backfill (its segments on `--threads` threads, `STRIPE_BACKFILL_THREADS`) with the client's limiter
set to the fake's limit (`STRIPE_RATE_LIMIT`, bulk share `1 - --reserved`, `STRIPE_RATE_LIMIT_RESERVED`).
Each row: `{limit_per_second, latency_ms, objects, objects_per_second, requests_429, requests, peak_rss_mb,
threads}`, 429s as counted by the fake. The goal: objects_per_second >= 0.8 x limit x 100. Then the same at
`--million-size` objects (peak RSS beside the smaller run's: flat), and `--resume-size` objects SIGKILLed when
the fake has answered half the pages, then resumed: every product id in the mirror once (JSON `resume`:
`missed` and `doubled` are 0). On a branch without segments the threads setting is ignored and the backfill is
one stream (still correct, only slower).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KEY = "sk_test_bench"
KINDS = ("sdk", "raw", "sync")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the server process ------------------------------------------------------------------------------------


def serve(size: int, port: int, latency_ms: float = 0, rate_limit: float = 0, bulk: bool = False) -> None:
    sys.path.insert(0, ROOT)
    from django_stripe.testing.fake import FakeStripe
    from django_stripe.testing.fake.resources.catalog import create_product
    from django_stripe.testing.server import FakeStripeServer
    from fake_stripe import RateLimit

    fake = FakeStripe()
    with fake.locked():
        if bulk:
            bulk_products(fake, size)
        else:
            for n in range(size):
                create_product(fake, {"name": f"Product {n}", "metadata": {"n": str(n)}})
    fake._events.clear()  # the creation events are not what is measured; they only take memory
    fake.latency = latency_ms / 1000
    fake.rate_limit = RateLimit(per_second=rate_limit) if rate_limit else None
    server = FakeStripeServer(fake, port=port)
    print("ready", flush=True)
    server.serve_forever()


def product_id(n: int) -> str:
    """The bulk-seeded products' ids: known to the client, which checks that each is mirrored once."""
    return f"prod_bench{n:09d}"


def bulk_products(fake: object, size: int) -> None:
    """`size` products straight into the fake's store (a million HTTP creates would take longer than the run):
    one a second back in time, oldest first as the store keeps them, so `created` ranges split them evenly."""
    from django_stripe.testing.fake.resources.catalog import create_product
    from fake_stripe import FakeStripe

    store = fake.store  # type: ignore[attr-defined]
    # Built on a fake of its own: in this one it would sit first in the order, newer than the rest, and the
    # store would no longer know the products' order as time order (Store.page's skip to a `created` range).
    template = create_product(FakeStripe(), {"name": "template"})
    start = template["created"] - size
    for n in range(size):
        created = start + n
        product = {**template, "id": product_id(n), "created": created, "updated": created}
        product.update(name=f"Product {n}", metadata={"n": str(n)})
        store.add(product)


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


def configure(options: dict) -> None:
    """The issue-28 settings of the run (a branch without them ignores them: settings are read at call time)."""
    from django.conf import settings

    for name, value in options.items():
        setattr(settings, name, value)


def sync(url: str, db: str | None, options: dict | None = None) -> dict:
    setup_django(url, db)
    from django.core.management import call_command

    from django_stripe import models
    from django_stripe.sync.backfill import backfill_type

    configure(options or {})
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


def resume(url: str, db: str | None, options: dict, size: int) -> dict:
    """After a SIGKILLed pass: the rows it left, then the pass resumed (not restarted) to its end, then whether
    every seeded product is mirrored exactly once."""
    setup_django(url, db)
    from django.db.models import Count

    from django_stripe import models
    from django_stripe.sync.backfill import backfill_type

    configure(options)
    rows_at_kill = models.Product.objects.count()
    result = backfill_type("products")
    ids = models.Product.objects.values_list("id", flat=True)
    present = set(ids)
    doubled = models.Product.objects.values("id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "objects": size,
        "rows_at_kill": rows_at_kill,
        "resumed_fetched": result.fetched,
        "rows_after": models.Product.objects.count(),
        "missed": sum(1 for n in range(size) if product_id(n) not in present),
        "unexpected": len(present - {product_id(n) for n in range(size)}),
        "doubled": doubled,
    }


def child(argv: list[str]) -> None:
    kind, url, db = argv[0], argv[1], (argv[2] if len(argv) > 2 and argv[2] else None)
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    sys.path.insert(0, ROOT)
    if kind == "resume":
        print(json.dumps(resume(url, db, options["settings"], options["size"])))
        return
    print(json.dumps(sync(url, db, options.get("settings")) if kind == "sync" else walk(kind, url)))


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


def start_server(
    size: int, port: int, latency_ms: float, rate_limit: float = 0, bulk: bool = False
) -> subprocess.Popen:
    command = [sys.executable, __file__, "--serve", str(size), "--port", str(port), "--latency-ms", str(latency_ms)]
    command += ["--rate-limit", str(rate_limit)] + (["--bulk"] if bulk else [])
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server


def fake_counts(port: int) -> dict:
    """The fake's rate limit counts: requests let through (`allowed`) and answered 429 (`limited`)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/rate_limit") as answer:
        return json.loads(answer.read())["rate_limit"]


def client_settings(limit: float, threads: int, reserved: float) -> dict:
    """The client sized for the fake's limit, as docs/ size one for a live account's; one process, so the
    limiter's local bucket (no Redis)."""
    return {
        "STRIPE_BACKFILL_THREADS": threads,
        "STRIPE_RATE_LIMIT": limit,
        "STRIPE_RATE_LIMIT_RESERVED": reserved,
        "STRIPE_RATE_LIMIT_REDIS_URL": None,
    }


def measure_rate_limited(
    size: int, limit: float, latency_ms: float, db: str, port: int, threads: int, reserved: float
) -> dict:
    """One backfill of `size` bulk-seeded products against a fake limited to `limit` requests/s."""
    server = start_server(size, port, latency_ms, limit, bulk=True)
    try:
        options = {"settings": client_settings(limit, threads, reserved)}
        run = run_child("sync", f"http://127.0.0.1:{port}", db, json.dumps(options))
        counts = fake_counts(port)
    finally:
        server.terminate()
        server.wait()
    return {
        "limit_per_second": limit,
        "latency_ms": latency_ms,
        "objects": run["objects"],
        "objects_per_second": run["objects"] / run["seconds"],
        "requests_429": counts["limited"],
        "requests": counts["allowed"] + counts["limited"],
        "seconds": run["seconds"],
        "peak_rss_mb": run["peak"],
        "rss_added_mb": run["peak"] - run["rss_before"],
        "threads": threads,
        "reserved": reserved,
        "goal_objects_per_second": 0.8 * limit * 100,
    }


def measure_resume(
    size: int, limit: float, latency_ms: float, db: str, port: int, threads: int, reserved: float
) -> dict:
    """A backfill SIGKILLed once the fake has let through half its pages, then resumed in a new process."""
    server = start_server(size, port, latency_ms, limit, bulk=True)
    url = f"http://127.0.0.1:{port}"
    options = {"settings": client_settings(limit, threads, reserved), "size": size}
    try:
        first = subprocess.Popen(
            [sys.executable, __file__, "--child", "sync", url, db, json.dumps(options)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        half = size // 100 // 2
        while first.poll() is None and fake_counts(port)["allowed"] < half:
            time.sleep(0.05)
        killed_at = fake_counts(port)["allowed"]
        first.send_signal(signal.SIGKILL)  # no cleanup, no commit of a page in flight: a crash
        first.wait()
        after = run_child("resume", url, db, json.dumps(options))
        counts = fake_counts(port)
    finally:
        server.terminate()
        server.wait()
    return {
        **after,
        "limit_per_second": limit,
        "killed_after_requests": killed_at,
        "killed": first.returncode == -signal.SIGKILL,
        "requests_429": counts["limited"],
        "threads": threads,
    }


def measure_latency(size: int, latency_ms: float, db: str, port: int) -> list[dict]:
    """The raw walk and the backfill without latency, then with it: what the fetch ahead hides."""
    return [measure(size, db, port, ms, kinds=("raw", "sync")) for ms in (0, latency_ms)]


def main() -> None:
    if "--serve" in sys.argv:
        options = argparse.ArgumentParser()
        options.add_argument("--serve", type=int)
        options.add_argument("--port", type=int)
        options.add_argument("--latency-ms", type=float, default=0)
        options.add_argument("--rate-limit", type=float, default=0)
        options.add_argument("--bulk", action="store_true")
        parsed = options.parse_args()
        serve(parsed.serve, parsed.port, parsed.latency_ms, parsed.rate_limit, parsed.bulk)
        return
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1 :])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--port", type=int, default=12199)
    parser.add_argument("--latency-ms", type=float, default=150, help="Stripe's round trip, for the latency run")
    parser.add_argument("--latency-size", type=int, default=3000, help="objects of the latency run (0: no run)")
    parser.add_argument("--rate-limits", type=float, nargs="*", default=[25, 100], help="the fake's requests/s")
    parser.add_argument("--rate-limited-size", type=int, default=100_000, help="objects of the rate-limited runs")
    parser.add_argument("--million-size", type=int, default=1_000_000, help="objects of the big run (0: none)")
    parser.add_argument("--resume-size", type=int, default=100_000, help="objects of the SIGKILL run (0: none)")
    parser.add_argument("--threads", type=int, default=16, help="STRIPE_BACKFILL_THREADS of the rate-limited runs")
    parser.add_argument("--reserved", type=float, default=0.2, help="STRIPE_RATE_LIMIT_RESERVED of those runs")
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
        rate_limited, resumed = run_rate_limited(options, database, tmp)
    emit(
        options.json,
        {
            "database": database or "sqlite",
            "sizes": rows,
            "latency": latency,
            "rate_limited": rate_limited,
            "resume": resumed,
        },
    )


def run_rate_limited(options: argparse.Namespace, database: str | None, tmp: str) -> tuple[list[dict], dict | None]:
    """The issue-28 runs: each limit at the rate-limited size, the big run at the highest limit, the resume."""
    rows: list[dict] = []
    runs = [(options.rate_limited_size, limit) for limit in options.rate_limits if options.rate_limited_size]
    if options.million_size and options.rate_limits:
        runs.append((options.million_size, max(options.rate_limits)))
    if runs:
        print(
            "\n| products | limit req/s | latency ms | obj/s | goal obj/s | 429s | requests | threads | peak RSS MB |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, limit in runs:
        db = database or f"sqlite:///{os.path.join(tmp, f'bench_rate_{size}_{limit:g}.sqlite3')}"
        args = (options.latency_ms, db, options.port, options.threads, options.reserved)
        row = measure_rate_limited(size, limit, *args)
        rows.append(row)
        print(
            f"| {size:,} | {limit:g} | {row['latency_ms']:.0f} | {row['objects_per_second']:,.0f} "
            f"| {row['goal_objects_per_second']:,.0f} | {row['requests_429']:,} | {row['requests']:,} "
            f"| {row['threads']} | {row['peak_rss_mb']:.0f} |",
            flush=True,
        )
    resumed = None
    if options.resume_size and options.rate_limits:
        db = database or f"sqlite:///{os.path.join(tmp, 'bench_resume.sqlite3')}"
        args = (options.latency_ms, db, options.port, options.threads, options.reserved)
        resumed = measure_resume(options.resume_size, max(options.rate_limits), *args)
        print(
            f"\nSIGKILL at {resumed['killed_after_requests']:,} requests of {options.resume_size // 100:,}: "
            f"{resumed['rows_at_kill']:,} rows left, resumed to {resumed['rows_after']:,}; "
            f"missed {resumed['missed']}, doubled {resumed['doubled']}, unexpected {resumed['unexpected']}",
            flush=True,
        )
    return rows, resumed


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
