"""Webhook sync throughput: the endpoint, one worker, and SQL statements per applied event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/django_stripe REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/bench_webhooks.py [--events 2000]

Creates (and drops) a throw-away database `test_<name>` on the configured server. Measures:
  - events/s accepted by the endpoint: signed POSTs through Django's request handling (test Client, one
    thread): signature check, JSON parse, INSERT of the event, enqueue on commit (to Redis when REDIS_URL
    is set, on a queue of its own that is purged afterwards; else to Celery's in-memory transport);
  - events/s applied by one worker: `process_event` in one process and thread (lock, handler, guarded
    upsert, mark processed), i.e. a worker with --concurrency 1 minus the broker round trip;
  - SQL statements per applied event by type, not counting BEGIN/COMMIT.
The events are a mix shaped like a subscription business: customer created/updated, subscription
created/updated (one item), invoice created/paid, each object created and then changed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from django_stripe.models import WebhookEvent  # noqa: E402
from django_stripe.testing.factories import (  # noqa: E402
    CustomerPayloadFactory,
    InvoicePayloadFactory,
    SubscriptionPayloadFactory,
)
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.webhooks.processing import process_event  # noqa: E402

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


def accept(events: list[dict]) -> float:
    client = Client()
    bodies = [json.dumps(payload).encode() for payload in events]
    started = time.perf_counter()
    for body in bodies:
        header = FakeStripe.sign(body, SECRET)
        response = client.post("/api/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        assert response.status_code == 200, response.content
    return len(bodies) / (time.perf_counter() - started)


def apply(events: list[dict]) -> float:
    started = time.perf_counter()
    for payload in events:
        assert process_event(payload["id"]) == "processed"
    return len(events) / (time.perf_counter() - started)


def apply_in_processes(events: list[dict], processes: int) -> float:
    """Events/s applied by `processes` worker processes side by side (forked, each its own connection)."""
    connection.close()
    slices = [events[index::processes] for index in range(processes)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        applied = sum(pool.map(_apply_slice, slices))
    elapsed = time.perf_counter() - started
    assert applied == len(events)
    return applied / elapsed


def _apply_slice(events: list[dict]) -> int:
    connection.close()  # never share the parent's socket
    done = sum(process_event(payload["id"]) in ("processed", "ignored") for payload in events)
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


def count_queries(events: list[dict]) -> dict[str, list[int]]:
    """Statements per event, on events of their own (counting slows the run, so it is not timed)."""
    queries: dict[str, list[int]] = defaultdict(list)
    for payload in events:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            assert process_event(payload["id"]) == "processed"
        queries[payload["type"]].append(sum(not q["sql"].startswith(CONTROL) for q in captured))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4], help="worker processes to compare")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"django-stripe-bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue
    broker = os.environ.get("REDIS_URL") or "memory:// (in-process)"
    try:
        with override_settings(STRIPE_WEBHOOK_SECRET=SECRET, DEBUG=False):
            events, counted = make_events(args.events), make_events(300)
            accepted = accept(events)
            assert WebhookEvent.objects.filter(status="pending").count() == len(events)
            applied = apply(events)
            accept(counted)
            queries = count_queries(counted)
            by_processes = {}
            for processes in args.processes:
                batch = make_events(args.events)
                accept(batch)
                by_processes[processes] = apply_in_processes(batch, processes)
            floor = commit_floor(len(events))
        print(f"database: {connection.vendor}; broker: {broker}; {len(events)} events")
        print(f"accepted by the endpoint (verify + store + enqueue): {accepted:,.0f} events/s")
        print(f"applied by one worker process (process_event):       {applied:,.0f} events/s")
        print("SQL statements per applied event (without BEGIN/COMMIT): type, mean, max")
        for event_type, counts in sorted(queries.items()):
            print(f"  {event_type:32} {statistics.mean(counts):.1f}  {max(counts)}")
        print(f"bare SQL floor (one-row upsert + commit per event): {floor:,.0f}/s")
        for processes, rate in by_processes.items():
            print(f"applied by {processes} worker process(es): {rate:,.0f} events/s ({rate / floor:.2f} of the floor)")
        emit(
            args.json,
            {
                "database": connection.vendor,
                "events": len(events),
                "accepted_per_second": accepted,
                "applied_per_second": applied,
                "applied_per_second_by_processes": by_processes,
                "commit_floor_per_second": floor,
                "queries_per_event": {kind: max(counts) for kind, counts in queries.items()},
            },
        )
    finally:
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
