"""Retention: `prune_events` on a ledger of a million rows, while the webhook endpoint keeps storing deliveries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/django_stripe REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/bench_prune.py [--rows 1000000]

PostgreSQL only (SQLite has one writer at a time: there is nothing to measure about not blocking). Creates (and
drops) a throw-away database `test_<name>`. The ledger is filled by `generate_series` in one statement: `--rows`
events received 40 to 60 days ago (95% processed, 4% ignored, 1% failed, each with a payload of about 1 KB like a
customer event's), plus 50,000 processed in the last day, then VACUUM ANALYZE, as a ledger in service is.
The example project runs under gunicorn (2 gthread workers of 4 threads, connections kept), as in
bench_webhooks.py, and one sender thread posts signed deliveries to it one after the other over keep-alive:
its latency is measured for a few seconds before the prune (the baseline) and during it. Measures:
  - rows/s deleted by `prune_events(30 days)` (batches of 10,000), and the longest batch (how long a batch's
    transaction holds its rows);
  - the endpoint's latency (median, p99, max) before and during the prune, and that every delivery answered 200.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.bench_webhooks import SECRET, database_url, event, signed  # noqa: E402
from benchmarks.results import emit  # noqa: E402
from benchmarks.servers import free_port, wait_for  # noqa: E402
from django_stripe.models import WebhookEvent  # noqa: E402
from django_stripe.testing.factories import CustomerPayloadFactory  # noqa: E402
from django_stripe.webhooks.retention import BATCH_SIZE, prune_events  # noqa: E402

RECENT_ROWS = 50_000


def fill_ledger(rows: int) -> None:
    """`rows` old events and RECENT_ROWS recent ones, written by the database itself (one INSERT ... SELECT)."""
    table = WebhookEvent._meta.db_table
    statement = f"""
        INSERT INTO {table} (id, type, api_version, livemode, created, payload, status, attempts, error, traceback,
                             received_at, processed_at)
        SELECT 'evt_bench_' || n, 'customer.updated', '2026-10-28.endive', false, received, jsonb_build_object(
                   'id', 'evt_bench_' || n, 'object', 'event', 'type', 'customer.updated', 'livemode', false,
                   'created', extract(epoch FROM received)::bigint,
                   'data', jsonb_build_object('object', jsonb_build_object(
                       'id', 'cus_bench_' || n, 'object', 'customer', 'email', 'user' || n || '@example.com',
                       'name', 'Customer ' || n, 'metadata', '{{}}'::jsonb, 'address', repeat('x', 800)))),
               status, 1, '', '', received, received
        FROM (
            SELECT n, CASE WHEN n %% 100 < 95 THEN 'processed' WHEN n %% 100 < 99 THEN 'ignored' ELSE 'failed' END
                          AS status,
                   now() - interval '40 days' - (n %% 1728000) * interval '1 second' AS received
            FROM generate_series(1, %s) AS n
        ) AS old
        UNION ALL
        SELECT 'evt_recent_' || n, 'customer.updated', NULL, false, now(), '{{}}'::jsonb, 'processed', 1, '', '',
               now() - (n %% 86400) * interval '1 second', now()
        FROM generate_series(1, %s) AS n
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [rows, RECENT_ROWS])
    connection.close()
    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction: a fresh autocommit connection
        cursor.execute(f"VACUUM ANALYZE {table}")


class Sender(threading.Thread):
    """Posts signed deliveries one after the other, recording each one's latency in the current phase."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        # The first deliveries load Django in each gunicorn worker: a warm-up, not the endpoint's latency.
        self.port, self.phase, self.stop = port, "warm-up", threading.Event()
        self.latencies: dict[str, list[float]] = {"warm-up": [], "before": [], "during": [], "after": []}
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            body, signature = signed(event("customer.created", CustomerPayloadFactory(), int(time.time())))
            headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
            started = time.perf_counter()
            client.request("POST", "/api/webhook/", body=body.encode(), headers=headers)
            response = client.getresponse()
            response.read()
            self.latencies[self.phase].append((time.perf_counter() - started) * 1000)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        client.close()


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "deliveries": len(ordered),
        "median_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_ms": ordered[-1],
    }


def endpoint(queue: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "example_project")]),
        "DATABASE_URL": database_url(),
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "DJANGO_STRIPE_BENCH_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    command = [gunicorn, "example_project.wsgi:application", "--workers", "2", "--worker-class", "gthread"]
    command += ["--threads", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    web = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_for(port)
    return web, port


def measure(rows: int, baseline_seconds: float, queue: str) -> dict:
    fill_started = time.perf_counter()
    fill_ledger(rows)
    fill_seconds = time.perf_counter() - fill_started
    web, port = endpoint(queue)
    sender = Sender(port)
    batch_seconds: list[float] = []
    try:
        sender.start()
        time.sleep(2)
        sender.phase = "before"
        time.sleep(baseline_seconds)  # the baseline: the endpoint alone
        sender.phase = "during"
        last = [time.perf_counter()]

        def progress(result) -> None:
            now = time.perf_counter()
            batch_seconds.append(now - last[0])
            last[0] = now

        result = prune_events(timedelta(days=30), batch_size=BATCH_SIZE, progress=progress)
        sender.phase = "after"
        time.sleep(0.5)
    finally:
        sender.stop.set()
        sender.join(30)
        web.terminate()
        web.wait(30)
    kept = WebhookEvent.objects.count()
    expected_kept = rows // 100 + RECENT_ROWS + len(sum(sender.latencies.values(), []))
    assert result.total == rows - rows // 100 and kept == expected_kept, (result.as_dict(), kept, expected_kept)
    assert set(sender.statuses) == {200}, sender.statuses
    return {
        "database": connection.vendor,
        "rows": rows,
        "fill_seconds": fill_seconds,
        "deleted": result.total,
        "prune_seconds": result.seconds,
        "rows_per_second": result.rate,
        "batches": result.batches,
        "batch_size": BATCH_SIZE,
        "longest_batch_seconds": max(batch_seconds),
        "median_batch_seconds": statistics.median(batch_seconds),
        "endpoint_before": summary(sender.latencies["before"]),
        "endpoint_during": summary(sender.latencies["during"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-seconds", type=float, default=5.0, help="the endpoint alone, before the prune")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_prune.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"django-stripe-bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue
    try:
        figures = measure(args.rows, args.baseline_seconds, queue)
        before, during = figures["endpoint_before"], figures["endpoint_during"]
        print(f"ledger of {args.rows:,} old rows (+{RECENT_ROWS:,} recent) filled in {figures['fill_seconds']:.1f} s")
        print(
            f"pruned {figures['deleted']:,} rows in {figures['prune_seconds']:.1f} s: "
            f"{figures['rows_per_second']:,.0f} rows/s, {figures['batches']} batches of {BATCH_SIZE:,}, longest "
            f"{figures['longest_batch_seconds'] * 1000:.0f} ms, median {figures['median_batch_seconds'] * 1000:.0f} ms"
        )
        for name, phase in (("before", before), ("during", during)):
            print(
                f"endpoint {name} the prune: {phase['deliveries']:,} deliveries, median {phase['median_ms']:.1f} ms, "
                f"p99 {phase['p99_ms']:.1f} ms, max {phase['max_ms']:.1f} ms"
            )
        emit(args.json, figures)
    finally:
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
