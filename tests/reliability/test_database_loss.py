"""PostgreSQL connection loss while a worker applies a stream of events: the worker's database sessions are
terminated (`pg_terminate_backend`) again and again, mid-transaction or between queries. Only the worker's
own sessions: they carry an application_name of their own, and the test's session is excluded.

Proved: no event is lost and none is applied twice; an event whose transaction was cut is rolled back and
applied later, by the task's retry when the failure could be recorded, or by the sweeper when the session died
before it could; the mirror equals the fake's final state.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.db import connection

from django_stripe.models import WebhookEvent
from django_stripe.tasks import sweep_webhook_events
from tests.webhooks.conftest import Deliverer
from tests.webhooks.lifecycle import mirror_differences
from tests.webhooks.workers import wait_for

from .conftest import application_name, applications_per_event, counting_worker, database_url_for, worker_env
from .scenarios import run_many_subscriptions

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

CUSTOMERS, KILL_EVERY, KILLING_FOR = 16, 0.15, 12.0
DONE = {"processed", "ignored"}


def terminate_sessions(name: str) -> int:
    """End every session of the worker (by application_name), never this test's own; how many were ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return cursor.fetchone()[0]


def unfinished() -> int:
    return WebhookEvent.objects.exclude(status__in=DONE).count()


def test_events_survive_the_workers_database_sessions_being_killed(
    stripe_fake_server, live_server, settings, queue, applications, tmp_path
):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_webhooks"
    fake = stripe_fake_server
    fake.delivery_mode = "queued"
    run_many_subscriptions(fake, CUSTOMERS)
    events = fake.events
    deliveries = random.Random(7).sample(events, len(events))

    name = application_name("worker")
    worker = counting_worker(
        queue, tmp_path / "worker.log", 2, **worker_env(settings, DATABASE_URL=database_url_for(name))
    )
    worker.start()
    kills, stop = [], threading.Event()

    def killer() -> None:
        deadline = time.monotonic() + KILLING_FOR
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                kills.append(terminate_sessions(name))
                time.sleep(KILL_EVERY * random.uniform(0.5, 1.5))
        finally:
            connection.close()  # this thread's own session

    try:
        killing = threading.Thread(target=killer, daemon=True)
        killing.start()
        deliverer = Deliverer(live_server.url)
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda payload: deliverer.send(payload).status, deliveries))
        assert statuses == [200] * len(deliveries)
        killing.join()
        ended = sum(kills)
        assert ended > 0, "no session of the worker was ever terminated"

        # Failures recorded on the event are retried by the task (after 10-12 s); events whose session died
        # before the failure could be recorded are still pending: the sweeper sends them again.
        wait_for(lambda: queued(queue) == 0, 90, "the queue drained")
        pending = WebhookEvent.objects.filter(status="pending").count()
        sweep_webhook_events(older_than_seconds=0)
        try:
            wait_for(lambda: unfinished() == 0, 120, "every event applied")
        except AssertionError as error:
            left = WebhookEvent.objects.exclude(status__in=DONE).values_list("id", "status", "attempts", "error")
            raise AssertionError(f"{error}: {list(left)[:10]}") from None
    finally:
        stop.set()
        worker.stop()

    log = worker.output()
    assert "terminating connection due to administrator command" in log or "server closed the connection" in log
    rows = list(WebhookEvent.objects.values_list("status", "attempts"))
    assert len(rows) == len(events)
    assert {status for status, _ in rows} == {"processed"}
    assert applications_per_event() == {event["id"]: 1 for event in events}  # none lost, none applied twice
    retried = sum(1 for _, attempts in rows if attempts > 1)
    assert all(1 <= attempts <= 1 + ended for _, attempts in rows)
    assert mirror_differences(fake, events) == []
    print(
        f"\n{len(events)} events; {ended} worker sessions terminated; {retried} events retried after a recorded "
        f"failure, {pending} left pending and sent again by the sweeper"
    )


def queued(queue: str) -> int:
    return redis.Redis.from_url(os.environ["REDIS_URL"]).llen(queue)
