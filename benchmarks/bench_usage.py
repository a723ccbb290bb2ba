"""Usage reporting: `report_usage` into the outbox, and the outbox sent to the fake's v2 meter event stream.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/django_stripe REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/bench_usage.py [--reports 20000]

PostgreSQL only. Creates (and drops) a throw-away database `test_<name>`; the fake Stripe runs in a process of
its own (`python -m fake_stripe`), as Stripe would be. Measures, in one process:
  - reported_per_second: `report_usage` calls, each in its own transaction as a request makes it (Django's
    autocommit: the INSERT committed, then the send scheduled on commit, a broker message at most every
    LINGER_SECONDS);
  - commit_floor_per_second: one single-row INSERT into a table of the same columns, committed per call on a
    raw cursor, timed in the same run, alternating with the reports in rounds of 1,000;
  - sent_per_second: `send_all_due()` sending every row to the v2 stream (100 events a request);
  - lost and doubled: the events the fake counted (a `count` meter's summary) against the rows reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.results import emit  # noqa: E402
from benchmarks.servers import free_port, wait_for  # noqa: E402
from django_stripe import payments  # noqa: E402
from django_stripe.client import get_client  # noqa: E402
from django_stripe.models import UsageReport  # noqa: E402
from django_stripe.payments.usage_sending import send_all_due  # noqa: E402

ROUND = 1000
FLOOR_TABLE = "bench_usage_floor"


def start_fake() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_stripe", "--port", str(port), "--queue-events"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def floor_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {UsageReport._meta.db_table} INCLUDING ALL)")


def commit_floor(cursor, rows: int) -> float:
    """`rows` single-row INSERTs, each committed (autocommit), on a raw cursor: seconds taken."""
    now = datetime.now(UTC)
    statement = (
        f"INSERT INTO {FLOOR_TABLE} (customer_id, billable, event_name, value, identifier, timestamp, state, "
        "attempts, next_attempt_at, refusal_reason, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, '', %s)"
    )
    started = time.perf_counter()
    for _ in range(rows):
        cursor.execute(
            statement, ["cus_bench", "accounts.user:1", "api_call", 1, uuid.uuid4().hex, now, "pending", now, now]
        )
    return time.perf_counter() - started


def reports(user, rows: int) -> float:
    """`rows` report_usage calls, each in its own transaction as in a request (Django's autocommit: the INSERT
    commits, then its on-commit schedule runs): seconds taken."""
    started = time.perf_counter()
    for _ in range(rows):
        payments.report_usage(user, "api_call")
    return time.perf_counter() - started


def counted_by_fake(meter_id: str, customer_id: str) -> int:
    now = datetime.now(UTC)
    start = int((now - timedelta(days=1)).timestamp()) // 60 * 60
    end = int((now + timedelta(days=1)).timestamp()) // 60 * 60
    summaries = get_client().v1.billing.meters.event_summaries.list(
        meter_id, {"customer": customer_id, "start_time": start, "end_time": end}
    )
    return int(sum(summary.aggregated_value for summary in summaries.data))


def measure(total: int) -> dict[str, float]:
    client = get_client()
    meter = client.v1.billing.meters.create(
        {"display_name": "API calls", "event_name": "api_call", "default_aggregation": {"formula": "count"}}
    )
    user = get_user_model().objects.create_user("bench", password="pw")
    user.stripe_customer_id = client.v1.customers.create({"email": "bench@example.com"}).id
    user.save(update_fields=["stripe_customer_id"])
    floor_table()
    report_seconds = floor_seconds = 0.0
    with connection.cursor() as cursor:
        for _ in range(0, total, ROUND):  # alternated, so that the machine's load weighs on both alike
            report_seconds += reports(user, ROUND)
            floor_seconds += commit_floor(cursor, ROUND)
    reported = UsageReport.objects.count()
    started = time.perf_counter()
    totals = send_all_due(max_rounds=total)
    send_seconds = time.perf_counter() - started
    counted = counted_by_fake(meter.id, user.stripe_customer_id)
    return {
        "reports": reported,
        "reported_per_second": round(reported / report_seconds),
        "commit_floor_per_second": round(total / floor_seconds),
        "ratio_to_floor": round((reported / report_seconds) / (total / floor_seconds), 3),
        "sent": totals["sent"],
        "sent_per_second": round(totals["sent"] / send_seconds),
        "lost": max(reported - counted, 0),
        "doubled": max(counted - reported, 0),
        "resent_rows": UsageReport.objects.filter(attempts__gt=1).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_usage.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"django-stripe-bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue  # the sends scheduled on commit: no worker takes them here
    fake, settings.STRIPE_API_BASE = start_fake()
    settings.STRIPE_SECRET_KEY = "sk_test_bench_usage"
    try:
        figures = measure(args.reports)
        print(
            f"report_usage: {figures['reported_per_second']:,} reports/s, commit floor "
            f"{figures['commit_floor_per_second']:,}/s ({figures['ratio_to_floor']:.2f}x)"
        )
        print(
            f"sent {figures['sent']:,} to the v2 stream at {figures['sent_per_second']:,}/s; "
            f"lost {figures['lost']}, doubled {figures['doubled']}"
        )
        emit(args.json, figures)  # run.py files them under "usage"
    finally:
        fake.terminate()
        fake.wait(10)
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
