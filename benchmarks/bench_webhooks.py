"""Webhook sync throughput: the endpoint under gunicorn and under uvicorn, the batched apply by 1, 2, 4 worker
processes, and SQL statements per applied event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/django_stripe REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/bench_webhooks.py [--events 3000]

Creates (and drops) a throw-away database `test_<name>` on the configured server. Measures:
  - events/s accepted by the endpoint: the example project under gunicorn (2 gthread workers of 8 threads, the
    sync view) and under uvicorn (2 workers, with httptools and uvloop when installed; the async view), each
    loaded over real HTTP by a separate process (benchmarks/load_webhooks.py, keep-alive, 16 senders) with
    deliveries each signed: signature check, parse, the event's INSERT committed before the 200, and the
    dispatcher sending the ids on (to Redis, on a queue of its own that is purged afterwards);
  - events/s applied by 1, 2 and 4 worker processes side by side: `process_batch` on the dispatcher's
    batches, i.e. workers with --concurrency 1 minus the broker round trip;
  - SQL statements per applied event, amortised over a batch, not counting BEGIN/COMMIT/SAVEPOINT/RELEASE;
  - the floor of both: one single-row upsert committed per event, on a raw cursor.
The events are a mix shaped like a subscription business: customer created/updated, subscription
created/updated (one item), invoice created/paid, each object created and then changed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from benchmarks.servers import free_port, wait_for  # noqa: E402
from django_stripe.models import WebhookEvent  # noqa: E402
from django_stripe.testing.factories import (  # noqa: E402
    CustomerPayloadFactory,
    InvoicePayloadFactory,
    SubscriptionPayloadFactory,
)
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.webhooks.batches import BATCH_SIZE, process_batch  # noqa: E402
from django_stripe.webhooks.ledger import store_event  # noqa: E402

SECRET = "whsec_bench"
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def event(event_type: str, obj: dict, created: int) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "type": event_type,
    }


def make_events(count: int) -> list[dict]:
    """`count` events: per customer, 6 events over 3 seconds (no same-second ties, so no fetches)."""
    events, start = [], 1_767_225_600
    for n in range(count // 6 + 1):
        t = start + 10 * n
        customer = CustomerPayloadFactory()
        subscription = SubscriptionPayloadFactory(customer=customer["id"], status="trialing")
        invoice = InvoicePayloadFactory(customer=customer["id"], subscription=subscription["id"], status="open")
        events += [
            event("customer.created", customer, t),
            event("customer.subscription.created", subscription, t),
            event("invoice.created", invoice, t),
            event("customer.updated", {**customer, "name": "Renamed"}, t + 1),
            event("customer.subscription.updated", {**subscription, "status": "active"}, t + 2),
            event("invoice.paid", {**invoice, "status": "paid", "amount_paid": invoice["amount_due"]}, t + 2),
        ]
    return events[:count]


# The two servers, each with 2 worker processes (one per core) and the endpoint view it serves: gunicorn the
# sync one (example_project.urls), uvicorn the async one (example_project/asgi.py names asgi_urls.py).
SERVERS = {
    "gunicorn": (
        ["gunicorn", "example_project.wsgi:application", "--workers", "2", "--worker-class", "gthread",
         "--threads", "8", "--log-level", "warning", "--bind", "127.0.0.1:{port}"],
        "benchmarks.live_api",
    ),
    "uvicorn": (
        ["uvicorn", "example_project.asgi:application", "--workers", "2", "--no-access-log",
         "--log-level", "warning", "--host", "127.0.0.1", "--port", "{port}"],
        "example_project.asgi_urls",
    ),
}  # fmt: skip


def accept(events: list[dict], queue: str, server: str = "gunicorn") -> float:
    """Events/s the endpoint accepts under `server`, loaded from a separate process; every one answered 200."""
    port = free_port()
    command, urlconf = SERVERS[server]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DJANGO_ROOT_URLCONF": urlconf,
        "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "example_project")]),
        "DATABASE_URL": database_url(),
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "DJANGO_STRIPE_BENCH_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    executable = os.path.join(os.path.dirname(sys.executable), command[0])
    web = subprocess.Popen([executable, *(part.format(port=port) for part in command[1:])], cwd=ROOT, env=env)
    try:
        wait_for(port)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as deliveries:
            json.dump([signed(payload) for payload in events], deliveries)
            deliveries.flush()
            load = os.path.join(ROOT, "benchmarks", "load_webhooks.py")
            url = f"http://127.0.0.1:{port}/api/webhook/"
            answer = subprocess.run(
                [sys.executable, load, "--url", url, "--deliveries", deliveries.name, "--senders", "16"],
                check=True,
                capture_output=True,
                text=True,
            )
    finally:
        web.terminate()
        web.wait(30)
    result = json.loads(answer.stdout)
    assert result["statuses"] == {"200": len(events)}, result
    return len(events) / result["seconds"]


def signed(payload: dict) -> tuple[str, str]:
    body = json.dumps(payload)
    return body, FakeStripe.sign(body.encode(), SECRET)


def database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def store(events: list[dict]) -> list[str]:
    """Store events as the endpoint does, without sending them: for the apply runs."""
    for payload in events:
        store_event(payload)
    return [payload["id"] for payload in events]


def batches(ids: list[str]) -> list[list[str]]:
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]


def apply_in_processes(ids: list[str], processes: int) -> float:
    """Events/s applied by `processes` worker processes side by side (forked, each its own connection), each
    taking the dispatcher's batches in turn."""
    connection.close()
    shares = [batches(ids)[index::processes] for index in range(processes)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        applied = sum(pool.map(_apply_share, shares))
    elapsed = time.perf_counter() - started
    assert applied == len(ids), (applied, len(ids))
    return applied / elapsed


def _apply_share(share: list[list[str]]) -> int:
    connection.close()  # never share the parent's socket
    done = 0
    for batch in share:
        outcome = process_batch(batch)
        done += len(outcome.get("processed", ())) + len(outcome.get("ignored", ()))
    connection.close()
    return done


def commit_floor(count: int) -> float:
    """The bare SQL floor of applying an event: one single-row upsert committed per event, raw cursor."""
    table = "bench_commit_floor"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (id varchar(64) PRIMARY KEY, data text)")
    started = time.perf_counter()
    for number in range(count):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                [f"row{number % 500}", "x" * 200],
            )
    return count / (time.perf_counter() - started)


def count_queries(ids: list[str]) -> float:
    """SQL statements per applied event, amortised over batches (counting slows the run, so it is not timed)."""
    statements = 0
    for batch in batches(ids):
        with CaptureQueriesContext(connection) as captured:
            process_batch(batch)
        statements += sum(not query["sql"].startswith(CONTROL) for query in captured)
    return statements / len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4], help="worker processes to compare")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"django-stripe-bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue
    broker = os.environ.get("REDIS_URL") or "memory:// (in-process)"
    try:
        events = make_events(args.events)
        accepted = accept(events, queue)
        assert WebhookEvent.objects.count() == len(events)
        events_asgi = make_events(args.events)
        accepted_asgi = accept(events_asgi, queue, "uvicorn")
        assert WebhookEvent.objects.count() == len(events) + len(events_asgi)
        statements_per_event = count_queries(store(make_events(600)))
        by_processes = {processes: apply_in_processes(store(make_events(args.events)), processes)
                        for processes in args.processes}  # fmt: skip
        floor = commit_floor(len(events))
        print(f"database: {connection.vendor}; broker: {broker}; {len(events)} events")
        for server, rate in (("gunicorn", accepted), ("uvicorn", accepted_asgi)):
            print(
                f"accepted by the endpoint ({server}, 2 workers): {rate:,.0f} events/s ({rate / floor:.2f}x the floor)"
            )
        print(f"SQL statements per applied event (amortised):     {statements_per_event:.2f}")
        print(f"bare SQL floor (one-row upsert + commit per event): {floor:,.0f}/s")
        for processes, rate in by_processes.items():
            print(f"applied by {processes} worker process(es): {rate:,.0f} events/s ({rate / floor:.2f}x the floor)")
        emit(
            args.json,
            {
                "database": connection.vendor,
                "events": len(events),
                "accepted_per_second": accepted,
                "accepted_per_second_asgi": accepted_asgi,
                "applied_per_second": by_processes[min(by_processes)],
                "applied_per_second_by_processes": by_processes,
                "commit_floor_per_second": floor,
                "statements_per_event": statements_per_event,
                "batch_size": BATCH_SIZE,
            },
        )
    finally:
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
