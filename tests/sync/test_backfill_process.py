"""Real processes: `manage.py stripe_sync` against `python -m django_stripe.testing.server`, SIGKILLed half
way, then run again: exact counts, no duplicates, and no page before the cursor requested again.

The command writes to its own SQLite file (the test reads it with sqlite3); the server's --verbose log
is the record of every request it answered.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 3000
KEY = "sk_test_process"
REQUEST_LINE = re.compile(r'"GET (/v1/customers\S*) HTTP')


@pytest.fixture
def server(tmp_path):
    """The fake Stripe in its own process, logging every request to a file."""
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "django_stripe.testing.server", "--port", str(port), "--verbose"],
            cwd=ROOT,
            stderr=stream,
        )
    deadline = time.monotonic() + 30
    while "listening" not in log.read_text():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "log": log}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


def create_customers(port: int, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/x-www-form-urlencoded"}
    for n in range(count):
        connection.request("POST", "/v1/customers", urlencode({"email": f"c{n}@example.com"}), headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    connection.close()


def listed_after(log: Path, offset: int = 0) -> list[str | None]:
    """`starting_after` of each customers list request in the server log from byte `offset` on."""
    found = []
    for path in REQUEST_LINE.findall(log.read_text()[offset:]):
        query = parse_qs(urlsplit(path).query)
        found.append(query.get("starting_after", [None])[0])
    return found


def command_env(server: dict, db: Path, key: str = KEY) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "STRIPE_SECRET_KEY": key,
        "STRIPE_API_BASE": server["url"],
        "STRIPE_WEBHOOK_SECRET": "whsec_process",
        # The example project names no product: without one, every command would print the W004 warning first.
        "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": "prod_process",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    env.pop("REDIS_URL", None)
    return env


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "example_project" / "manage.py"), *args]


def query(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(db, timeout=10)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def synced_count(db: Path) -> int:
    try:
        rows = query(db, "SELECT synced_count FROM django_stripe_sync_cursor WHERE object_type = 'customers'")
    except sqlite3.OperationalError:  # locked for a moment by the writer
        return 0
    return rows[0][0] if rows else 0


def test_a_killed_backfill_resumes_where_it_stopped(server, tmp_path):
    db = tmp_path / "mirror.sqlite3"
    env = command_env(server, db)
    subprocess.run(manage("migrate", "-v", "0"), env=env, check=True, timeout=120)
    create_customers(server["port"], CUSTOMERS)

    # One stream (`--threads 1`): its cursor is the type's; tests/reliability/test_backfill_kill.py kills segments.
    first = subprocess.Popen(
        manage("stripe_sync", "customers", "--no-progress", "--threads", "1"), env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while synced_count(db) < 500:
        assert first.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    ((cursor, count),) = query(
        db, "SELECT starting_after, synced_count FROM django_stripe_sync_cursor WHERE object_type = 'customers'"
    )
    assert 500 <= count < CUSTOMERS and count % 100 == 0
    assert query(db, "SELECT COUNT(*) FROM django_stripe_customer") == [(count,)]  # the cursor and rows agree
    offset = len(server["log"].read_text())

    second = subprocess.run(
        manage("stripe_sync", "customers", "--no-progress", "--threads", "1"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert second.returncode == 0, second.stderr
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id) FROM django_stripe_customer") == [(CUSTOMERS, CUSTOMERS)]
    emails = {email for (email,) in query(db, "SELECT email FROM django_stripe_customer")}
    assert emails == {f"c{n}@example.com" for n in range(CUSTOMERS)}
    requested = listed_after(server["log"], offset)
    assert requested[0] == cursor  # resumed after the last committed page...
    assert None not in requested  # ...without asking for the first pages again
    assert len(requested) == (CUSTOMERS - count) // 100
    assert len(set(requested)) == len(requested)
    (completed,) = query(db, "SELECT completed_at FROM django_stripe_sync_cursor WHERE object_type = 'customers'")
    assert completed[0] is not None


def test_a_bad_key_makes_the_real_command_exit_non_zero_with_one_line(server, tmp_path):
    db = tmp_path / "mirror.sqlite3"
    # Of no mode: a live key sent to the fake would stop every command at the system checks (E006).
    env = command_env(server, db, key="sk_wrong")
    subprocess.run(manage("migrate", "-v", "0"), env=env, check=True, timeout=120)

    done = subprocess.run(manage("stripe_sync", "--no-progress"), env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("CommandError: Stripe refused the API key (check STRIPE_SECRET_KEY): Invalid API Key")
