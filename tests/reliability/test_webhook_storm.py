"""2,000 signed webhook deliveries from 16 concurrent senders to a `runserver` process, 20% duplicates in a
shuffled order, while one of two `celery worker` processes is killed with SIGKILL and restarted, and the
broker (a private redis-server) crashes and comes back empty.

Proved: every delivery is answered 200, even while Redis is down (the event is stored; the enqueue fails
softly); each of the ~1,600 events is stored once and applied exactly once (one committed application per
event, recorded inside the event's transaction by the workers' `record_application` handler, and
`attempts == 1`); what the crash lost is recovered by the sweeper; the mirror equals the fake's final state.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from celery import current_app

from django_stripe.models import MIRRORED_MODELS, SubscriptionItem, WebhookEvent
from django_stripe.tasks import sweep_webhook_events
from tests.webhooks.conftest import SECRET, Deliverer
from tests.webhooks.lifecycle import mirror_differences, mirrored_ids
from tests.webhooks.workers import WebServer, wait_for

from .conftest import applications_per_event, counting_worker, worker_env
from .scenarios import run_many_subscriptions

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

DELIVERIES, SENDERS, CUSTOMERS = 2000, 16, 68  # about 23 events a customer: 20% duplicates
KILL_AT, RESTART_AT, REDIS_DOWN_AT, REDIS_DOWN_FOR = 400, 700, 1000, 250  # in deliveries answered
DONE = {"processed", "ignored"}


@dataclass
class Progress:
    answered: int = 0
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int) -> None:
        with self.lock:
            self.answered += 1
            self.statuses.append(status)


class Gates:
    """Deliveries numbered from `at` on wait until the gate at `at` is opened."""

    def __init__(self, *at: int) -> None:
        self.gates = {number: threading.Event() for number in at}

    def wait(self, number: int) -> None:
        for at, gate in self.gates.items():
            if number >= at:
                gate.wait(300)

    def open(self, at: int) -> None:
        self.gates[at].set()


def wait_until_answered(progress: Progress, count: int, senders) -> None:
    wait_for(lambda: progress.answered >= count or senders.done(), 300, f"{count} deliveries answered")


def sweep(broker_url: str, limit: int) -> None:
    """What celery beat does every minute: send the sweeper task to the workers (on the private broker), with a
    `limit` that covers every stranded event in one sweep (the default, 1,000, would leave the rest to the next)."""
    with current_app.connection_for_write(broker_url) as connection:
        sweep_webhook_events.apply_async(
            kwargs={"older_than_seconds": 0, "limit": limit}, connection=connection, queue="celery"
        )


def unfinished() -> int:
    return WebhookEvent.objects.exclude(status__in=DONE).count()


def test_two_thousand_deliveries_survive_a_worker_kill_and_a_redis_crash(
    stripe_fake_server, private_redis, applications, settings, tmp_path
):
    fake = stripe_fake_server
    fake.delivery_mode = "queued"
    run_many_subscriptions(fake, CUSTOMERS)
    events = fake.events
    rng = random.Random(DELIVERIES)
    deliveries = events + rng.choices(events, k=DELIVERIES - len(events))
    rng.shuffle(deliveries)
    assert 0.15 <= 1 - len(events) / DELIVERIES <= 0.25, len(events)

    env = worker_env(settings, REDIS_URL=private_redis.url)
    server = WebServer(tmp_path / "web.log", REDIS_URL=private_redis.url, STRIPE_WEBHOOK_SECRET=SECRET)
    workers = [counting_worker("celery", tmp_path / "steady.log", 2, **env)]
    victim = counting_worker("celery", tmp_path / "victim.log", 2, **env)
    try:
        server.start()
        workers[0].start()
        victim.start()
        deliverer = Deliverer(server.url)
        progress = Progress()
        started = time.monotonic()
        # Each step happens between the deliveries it names, however fast the endpoint answers: the deliveries
        # after a step wait for it (a gate), so the kill, the restart and the broker's outage each fall amid them.
        gates = Gates(KILL_AT, RESTART_AT, REDIS_DOWN_AT, REDIS_DOWN_AT + REDIS_DOWN_FOR)

        def deliver(numbered) -> None:
            number, payload = numbered
            gates.wait(number)
            progress.record(deliverer.send(payload).status)

        with ThreadPoolExecutor(max_workers=SENDERS) as pool:
            senders = pool.submit(lambda: list(pool.map(deliver, enumerate(deliveries))))
            wait_until_answered(progress, KILL_AT, senders)
            victim.kill()
            gates.open(KILL_AT)
            wait_until_answered(progress, RESTART_AT, senders)
            workers.append(counting_worker("celery", tmp_path / "restarted.log", 2, **env).start())
            gates.open(RESTART_AT)
            wait_until_answered(progress, REDIS_DOWN_AT, senders)
            private_redis.crash()
            gates.open(REDIS_DOWN_AT)
            wait_until_answered(progress, REDIS_DOWN_AT + REDIS_DOWN_FOR, senders)
            private_redis.start()
            gates.open(REDIS_DOWN_AT + REDIS_DOWN_FOR)
            senders.result()
        sent_in = time.monotonic() - started
        assert progress.statuses == [200] * DELIVERIES
        assert "not enqueued" in server.output()  # some deliveries came while Redis was down, and got their 200
        died = [worker.log.name for worker in workers if "Unrecoverable error" in worker.output()]
        assert died == [], f"workers died of the broker's crash: {died}"

        # The workers drain what reached the queue; what Redis lost (queued, or never enqueued) stays pending.
        wait_for(lambda: private_redis.queued() == 0, 180, "the queue drained")
        assert WebhookEvent.objects.count() == len(events)
        stranded = unfinished()
        assert stranded > 0
        sweep(private_redis.url, limit=len(events))
        wait_for(lambda: unfinished() == 0, 180, f"the sweeper's {stranded} events applied")
        drained_in = time.monotonic() - started
    finally:
        for process in [*workers, victim, server]:
            process.stop()

    rows = WebhookEvent.objects.values_list("id", "status", "attempts", "error")
    assert {(status, attempts, error) for _, status, attempts, error in rows} == {("processed", 1, "")}
    assert applications_per_event() == {event["id"]: 1 for event in events}  # each applied once, none twice
    assert mirror_differences(fake, events) == []
    expected = mirrored_ids(events)
    for model in MIRRORED_MODELS:
        if model is not SubscriptionItem:
            assert model.objects.count() == sum(1 for m in expected.values() if m is model), model.__name__
    assert "succeeded" in victim.output()  # it was applying events when it was killed
    assert all("succeeded" in worker.output() for worker in workers)  # the survivor and the restarted one
    logs = "".join(worker.output() for worker in workers)
    assert "IntegrityError" not in logs and "deadlock detected" not in logs
    print(
        f"\n{len(events)} events, {DELIVERIES} deliveries from {SENDERS} senders in {sent_in:.1f}s; "
        f"{stranded} stranded by the Redis crash and recovered by the sweeper; all applied in {drained_in:.1f}s"
    )
