"""Keeps the suite's parallel workers (pytest-xdist, `make test` runs one per core) out of each other's way.

- each worker has a Redis database of its own (REDIS_URL's database + 1 + the worker's number), for the cache
  the tests clear, the broker queues and the processes the tests start, which inherit the environment
  (`isolate_redis`, from tests/conftest.py's pytest_configure);
- each worker takes the ports its servers listen on from a range of its own (`tests/ports.py`), below the
  ports the system hands out itself (32768 and up), so that no two workers, and no `port 0` server, pick
  the same one; the range is held by a lock file for the worker's life, so that two suites running at once
  on one machine (two checkouts, say) take different ranges too: a port probed free by one could otherwise
  be bound by the other's server before its own child binds it;
- PostgreSQL needs nothing here: pytest-django gives each worker a test database of its own (test_<name>_gw0).
"""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from celery import current_app

REDIS_DATABASES = 16  # Redis's default `databases`
FIRST_PORT, PORTS_PER_WORKER = 20_000, 1_000
PORT_RANGES = (32_768 - FIRST_PORT) // PORTS_PER_WORKER
_held_range_locks: list[IO[str]] = []  # open for the process's life: closing one would free its range


def worker_number() -> int:
    """0, 1, ... for xdist's workers gw0, gw1, ...; 0 when the suite runs in one process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else 0


@functools.cache
def port_range() -> range:
    """This process's ports: the first range no other test process on the machine holds, starting from the
    worker's number (so one suite alone keeps to the ranges of its workers)."""
    for offset in range(PORT_RANGES):
        slot = (worker_number() + offset) % PORT_RANGES
        if _hold_range_lock(slot):
            start = FIRST_PORT + slot * PORTS_PER_WORKER
            return range(start, start + PORTS_PER_WORKER)
    raise OSError(f"all {PORT_RANGES} port ranges are held by other test processes")


def _hold_range_lock(slot: int) -> bool:
    lock = (Path(tempfile.gettempdir()) / f"django-stripe-tests-ports-{slot}.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return False
    _held_range_locks.append(lock)
    return True


def worker_redis_url(url: str) -> str:
    """`url` with the worker's own database: redis://host:6379/0 -> /1 for gw0, /2 for gw1, ..."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    database = (base + 1 + worker_number()) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{database}"))


def isolate_redis(settings: Any) -> None:
    """Point this worker's REDIS_URL (the environment, the caches and Celery's broker, which the example
    project's settings made from it) at the worker's own database. Django has read its settings by then:
    pytest-django sets it up before any conftest is loaded."""
    shared = os.environ.get("REDIS_URL")
    if not (shared and os.environ.get("PYTEST_XDIST_WORKER")):
        return
    own = worker_redis_url(shared)
    os.environ["REDIS_URL"] = own
    for cache in settings.CACHES.values():
        if cache.get("LOCATION") == shared:
            cache["LOCATION"] = own
    if getattr(settings, "CELERY_BROKER_URL", None) == shared:
        settings.CELERY_BROKER_URL = own
        current_app.conf.broker_url = own
