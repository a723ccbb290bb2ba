"""A backfill in parallel segments SIGKILLed half way, then run again (real processes: `manage.py stripe_sync`
against the fake Stripe's server, as tests/sync/test_backfill_process.py does for one stream): no object
missed or doubled, each segment's rows and cursor agree at the kill, and each resumes after its cursor."""

from __future__ import annotations

import http.client
import signal
import subprocess
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.sync import test_backfill_process as one_stream
from tests.sync.test_backfill_process import KEY, REQUEST_LINE, command_env, manage, query

server = one_stream.server  # the fake Stripe in its own process, logging every request

CUSTOMERS = 6000  # 60 pages: three segments' worth (sync/segments.py CHUNK_PAGES)


def create_spread_customers(port: int, count: int, per_second: int = 20) -> None:
    """Customers created over the fake's clock (advanced a second every `per_second`), so that segments split."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/x-www-form-urlencoded"}

    def post(path: str, params: dict) -> None:
        connection.request("POST", path, urlencode(params), headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, path

    for n in range(count):
        post("/v1/customers", {"email": f"c{n}@example.com"})
        if n % per_second == per_second - 1:
            post("/_fake/clock/advance", {"seconds": 1})
    connection.close()


def segments(db) -> list[tuple]:
    try:
        return query(
            db,
            "SELECT id, starting_after, synced_count, completed_at FROM django_stripe_backfill_segment "
            "WHERE object_type = 'customers'",
        )
    except Exception:  # not created yet, or locked for a moment by the writer
        return []


def test_a_killed_backfill_in_parallel_segments_resumes_with_no_object_missed_or_doubled(server, tmp_path):
    db = tmp_path / "mirror.sqlite3"
    env = command_env(server, db)
    subprocess.run(manage("migrate", "-v", "0"), env=env, check=True, timeout=120)
    create_spread_customers(server["port"], CUSTOMERS)
    sync = manage("stripe_sync", "customers", "--no-progress", "--threads", "4")

    first = subprocess.Popen(sync, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum(row[2] for row in segments(db)) < 1000 or len(segments(db)) < 2:
        assert first.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    at_kill = segments(db)
    committed = sum(count for _, _, count, _ in at_kill)
    assert 1000 <= committed < CUSTOMERS
    assert query(db, "SELECT COUNT(*) FROM django_stripe_customer") == [(committed,)]  # cursors and rows agree
    assert query(db, "SELECT completed_at FROM django_stripe_sync_cursor WHERE object_type = 'customers'") == [(None,)]
    offset = len(server["log"].read_text())

    second = subprocess.run(sync, env=env, capture_output=True, text=True, timeout=300)

    assert second.returncode == 0, second.stderr
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id) FROM django_stripe_customer") == [(CUSTOMERS, CUSTOMERS)]
    emails = {email for (email,) in query(db, "SELECT email FROM django_stripe_customer")}
    assert emails == {f"c{n}@example.com" for n in range(CUSTOMERS)}
    after = segments(db)
    assert all(completed for *_, completed in after)
    assert sum(count for _, _, count, _ in after) == CUSTOMERS  # each object counted once over both runs
    requested = [parse_qs(urlsplit(path).query) for path in REQUEST_LINE.findall(server["log"].read_text()[offset:])]
    resumed_after = {query.get("starting_after", [None])[0] for query in requested}
    # Every segment the kill left half done resumed after its own cursor, not from its top.
    assert {cursor for _, cursor, _, completed in at_kill if cursor and not completed} <= resumed_after
    assert query(
        db, "SELECT completed_at IS NOT NULL FROM django_stripe_sync_cursor WHERE object_type = 'customers'"
    ) == [(1,)]
