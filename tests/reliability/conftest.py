"""Real processes for the reliability tests: a private Redis that a test may crash and restart, Celery workers
and a `runserver` on the test database, and the table the workers record every event application in."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.webhooks.conftest import SECRET
from tests.webhooks.workers import ROOT, WebServer, Worker, free_port, test_database_url, wait_for

# The table of tests/reliability/applications.py. That module is NOT imported here: importing it registers its
# handler for every event type, and only the workers of these tests may have it.
TABLE = "reliability_application"

REDIS_SERVER = shutil.which("redis-server")


class PrivateRedis:
    """A redis-server of this test's own on a free port, without persistence: a restart loses every queued
    message, like a crash of a broker without AOF. Never the shared Redis other runs use."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> PrivateRedis:
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(self.directory), "--logfile", "",
        ]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for(self.answers, 20, f"private redis on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def crash(self) -> None:
        """SIGKILL: gone at once, with whatever it held."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self, down_for: float) -> None:
        self.crash()
        time.sleep(down_for)
        self.start()
        self.restarts += 1

    def queued(self, queue: str = "celery") -> int:
        return redis.Redis.from_url(self.url).llen(queue)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server on the PATH to run a private Redis that the test can restart")
    server = PrivateRedis(tmp_path).start()
    yield server
    server.crash()


@pytest.fixture
def applications(transactional_db) -> Iterator[str]:
    """The table the workers' `record_application` handler writes to (one row per committed application)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (event_id varchar(255) NOT NULL, pid integer, at timestamptz DEFAULT now())"
        )
    yield TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def applications_per_event() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT event_id, count(*) FROM {TABLE} GROUP BY event_id")
        return dict(cursor.fetchall())


def worker_env(settings, **extra: str) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        **extra,
    }


def counting_worker(queue: str, log: Path, concurrency: int, **env: str) -> Worker:
    """A worker that also loads the `record_application` handler."""
    worker = Worker(queue, log, concurrency, **env)
    worker.command += ["-I", "tests.reliability.applications"]
    return worker


def application_name(role: str) -> str:
    """A PostgreSQL application_name for one process's connections, so a test can find (and kill) exactly them."""
    return f"djstripe-rel-{role}-{uuid.uuid4().hex[:8]}"


def database_url_for(name: str) -> str:
    return f"{test_database_url()}?application_name={name}"


__all__ = ["WebServer", "Worker", "wait_for"]
