"""A real worker outlives its Redis broker's crash (a private redis-server, killed and restarted empty) in the two
moments that went wrong with Celery 5.7.0 and kombu 5.7.0. The storm test meets them only by chance.

1. One late-acknowledged task runs, and a BRPOP waits for the free process. When the loss is read on another
   channel first, kombu's teardown stops at the first channel that fails to delete its auto-delete queue (the
   remote-control mailbox, or gossip) and leaves the task channel open; Celery 5.7.0 then closes the connection
   once more, after kombu detached its transport, and restoring the unacknowledged message on it raises: the
   worker exits with "Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'".
   The example project's remote-control queue is durable (not auto-deleted) and its workers run without gossip.
2. Every process is busy. Their acknowledgements fail while Redis is down, so the task channel never asks for
   more and never reads the dead socket again: only the remote-control channel notices the loss. A worker
   without remote control hangs there, connected to nothing, until it is restarted (Celery 5.6 too).
"""

from __future__ import annotations

import time

import pytest
from celery import current_app

from tests.webhooks.workers import Worker, wait_for

from .held_task import NAME

pytestmark = [pytest.mark.postgres, pytest.mark.broker]


def send(broker_url: str, *seconds: float) -> None:
    with current_app.connection_for_write(broker_url) as connection:
        for each in seconds:
            current_app.send_task(NAME, (each,), connection=connection, queue="celery")


def received(worker: Worker) -> int:
    return worker.output().count(f"Task {NAME}[") - worker.output().count(" succeeded in ")


def reconnected_and_consuming(worker: Worker, private_redis) -> None:
    """After the restart: the worker is connected again, and applies a task sent now."""
    wait_for(
        lambda: worker.output().count("Connected to redis") >= 2 or worker.process.poll() is not None,
        30,
        f"the worker reconnected\n{worker.output()[-3000:]}",
    )
    assert "Unrecoverable error" not in worker.output(), worker.output()[-5000:]
    assert worker.process.poll() is None, "the worker exited"
    send(private_redis.url, 0.125)
    wait_for(lambda: "s: 0.125" in worker.output(), 30, f"a task sent after the restart\n{worker.output()[-3000:]}")


@pytest.fixture
def worker(private_redis, tmp_path):
    worker = Worker("celery", tmp_path / "worker.log", concurrency=2, REDIS_URL=private_redis.url)
    worker.command += ["-I", "tests.reliability.held_task"]
    yield worker.start()
    worker.stop()


def test_the_broker_crashes_while_a_task_runs_and_a_process_waits(worker, private_redis):
    send(private_redis.url, 4.0)
    wait_for(lambda: received(worker) == 1, 30, f"the task received\n{worker.output()[-3000:]}")
    time.sleep(0.5)  # it runs; the free process's BRPOP waits
    private_redis.crash()
    time.sleep(1)
    private_redis.start()
    reconnected_and_consuming(worker, private_redis)


def test_the_broker_crashes_while_every_process_is_busy(worker, private_redis):
    send(private_redis.url, 2.0, 2.0, 2.0, 2.0)
    wait_for(lambda: received(worker) >= 2, 30, f"both processes busy\n{worker.output()[-3000:]}")
    time.sleep(0.5)
    private_redis.crash()
    time.sleep(3)  # both tasks end while Redis is down: their acknowledgements fail
    private_redis.start()
    reconnected_and_consuming(worker, private_redis)
