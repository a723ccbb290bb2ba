"""Real parts only: PostgreSQL, a Redis broker, `celery worker` subprocesses, signed HTTP deliveries.

Each test's worker consumes a queue of its own, so that a concurrent run on the same Redis cannot take
its tasks.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from django_stripe.client import get_client
from django_stripe.models import Product, SubscriptionItem, WebhookEvent
from django_stripe.tasks import sweep_webhook_events

from .conftest import SECRET, Deliverer, event
from .lifecycle import mirror_differences, mirrored_ids, run_subscription_lifecycle
from .workers import AsgiWebServer, WebServer, Worker, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

DONE = {"processed", "ignored"}


@pytest.fixture
def start_worker(queue, stripe_fake_server, settings, tmp_path):
    """Start a worker on the test database, talking to the fake Stripe over HTTP for same-second ties."""
    workers: list[Worker] = []

    def start(concurrency: int = 4) -> Worker:
        worker = Worker(
            queue,
            tmp_path / "worker.log",
            concurrency,
            STRIPE_SECRET_KEY=settings.STRIPE_SECRET_KEY,
            STRIPE_API_BASE=settings.STRIPE_API_BASE,
            STRIPE_WEBHOOK_SECRET=SECRET,
        )
        workers.append(worker.start())
        return worker

    yield start
    for worker in workers:
        worker.stop()


def all_applied(expected: int) -> bool:
    statuses = list(WebhookEvent.objects.values_list("status", flat=True))
    return len(statuses) == expected and set(statuses) <= DONE


def assert_mirror_matches(fake, events):
    assert mirror_differences(fake, events) == []
    by_model = Counter(model for model in mirrored_ids(events).values())
    for model, count in by_model.items():
        assert model.objects.count() == count, model.__name__
    subscriptions = [obj for obj in (fake.get(i) for i in mirrored_ids(events)) if obj["object"] == "subscription"]
    assert SubscriptionItem.objects.count() == sum(len(s["items"]["data"]) for s in subscriptions)


def test_fifty_concurrent_deliveries_of_overlapping_events(
    stripe_fake_server, live_server, webhook_secret, start_worker
):
    fake = stripe_fake_server
    fake.delivery_mode = "queued"
    run_subscription_lifecycle(fake)
    events = fake.events
    worker = start_worker(concurrency=8)

    rng = random.Random(50)
    deliveries = events + rng.sample(events, 50 - len(events))
    rng.shuffle(deliveries)
    deliverer = Deliverer(live_server.url)
    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        statuses = list(pool.map(lambda payload: deliverer.send(payload).status, deliveries))

    assert statuses == [200] * 50
    wait_for(lambda: all_applied(len(events)), 90, "every event applied")
    assert set(WebhookEvent.objects.values_list("attempts", "error")) == {(1, "")}
    assert_mirror_matches(fake, events)
    log = worker.output()
    assert "deadlock" not in log.lower() and "IntegrityError" not in log and "Traceback" not in log


def test_concurrent_deliveries_to_uvicorn_workers_are_sent_on_by_their_dispatchers_and_applied(
    stripe_fake_server, start_worker, tmp_path, webhook_secret, queue
):
    """The ASGI deployment end to end: uvicorn with 2 worker processes, the async view, each process's
    dispatcher publishing to the broker, a Celery worker applying."""
    fake = stripe_fake_server
    fake.delivery_mode = "queued"
    run_subscription_lifecycle(fake)
    events = fake.events
    start_worker()
    env = {"REDIS_URL": os.environ["REDIS_URL"], "CELERY_TASK_DEFAULT_QUEUE": queue, "STRIPE_WEBHOOK_SECRET": SECRET}
    server = AsgiWebServer(tmp_path / "uvicorn.log", **env).start()
    try:
        deliverer = Deliverer(server.url)
        deliveries = events + events[:10]  # duplicates too
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda payload: deliverer.send(payload).status, deliveries))
        assert statuses == [200] * len(deliveries)
        wait_for(lambda: all_applied(len(events)), 90, f"every event applied\n{server.output()[-3000:]}")
    finally:
        server.stop()
    assert set(WebhookEvent.objects.values_list("attempts", "error")) == {(1, "")}
    assert_mirror_matches(fake, events)
    assert "Traceback" not in server.output()


def test_events_arriving_while_the_broker_is_down_are_applied_by_the_sweeper(
    stripe_fake_server, start_worker, tmp_path, webhook_secret
):
    fake = stripe_fake_server
    fake.delivery_mode = "queued"
    run_subscription_lifecycle(fake)
    events = fake.events
    closed_broker = f"redis://127.0.0.1:{free_port()}/0"
    server = WebServer(tmp_path / "web.log", REDIS_URL=closed_broker, STRIPE_WEBHOOK_SECRET=SECRET).start()
    try:
        deliverer = Deliverer(server.url)
        assert [deliverer.send(payload).status for payload in events] == [200] * len(events)
        # The endpoint answered; its dispatcher thread is still trying the closed broker.
        wait_for(lambda: "not enqueued" in server.output(), 30, "the dispatcher giving up on the broker")
    finally:
        server.stop()
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"pending"}
    assert WebhookEvent.objects.count() == len(events)

    start_worker()  # the broker is back
    assert sweep_webhook_events(older_than_seconds=0) == len(events)
    wait_for(lambda: all_applied(len(events)), 90, "every event applied")
    assert_mirror_matches(fake, events)


def in_flight_transactions() -> int:
    """Other sessions on the test database with a transaction open and idle: a worker mid-event."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
        )
        return cursor.fetchone()[0]


def test_an_event_whose_worker_is_killed_mid_event_is_applied_after_restart(
    stripe_fake_server, live_server, webhook_secret, start_worker
):
    fake = stripe_fake_server
    client = get_client().v1
    product = client.products.create({"name": "A"}).to_dict(for_json=True)
    client.products.update(product["id"], {"name": "Current"})
    created = fake.now()
    first = event("product.updated", {**product, "name": "A"}, created=created, event_id="evt_first")
    second = event("product.updated", {**product, "name": "B"}, created=created, event_id="evt_second")
    deliverer = Deliverer(live_server.url)

    worker = start_worker()
    assert deliverer.send(first).status == 200
    wait_for(lambda: all_applied(1), 30, "first event applied")

    # The second state ties with the first: the worker fetches from Stripe, which hangs; kill it then.
    fake.fail_next(1, status=None, delay=20)
    assert deliverer.send(second).status == 200
    # Mid-event: its transaction open and its fetch hanging at the fake (else the restarted worker's would).
    wait_for(lambda: in_flight_transactions() == 1 and fake.pending_faults() == 0, 30, "worker mid-event")
    worker.kill()
    wait_for(lambda: in_flight_transactions() == 0, 30, "killed worker's transaction rolled back")
    assert WebhookEvent.objects.get(id="evt_second").status == "pending"

    start_worker()
    sweep_webhook_events(older_than_seconds=0)
    wait_for(lambda: all_applied(2), 30, "second event applied after restart")
    row = fake.get(product["id"])
    assert Product.objects.get().name == row["name"] == "Current"
