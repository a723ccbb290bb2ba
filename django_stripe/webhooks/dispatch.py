"""Send the events the endpoint stored to the workers, many to a message, off the request path.

A broker round trip per delivery would cost the endpoint as much as the insert itself. Instead the request
hands the stored id to this process's dispatcher thread and answers; the thread sends what arrived
meanwhile as one `process_webhook_events` message (`queue.enqueue_events`: marked, then sent). What it
cannot send (the broker is down: it does not wait for it) or never sends (the process died with ids in
hand) is still a committed, pending row, left unmarked: the sweeper sends it. With Celery eager (tests, a
project without a worker) the events are applied in the request, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from celery import current_app
from django.db import close_old_connections, connections

from ..celery_setup import warn_once_if_missing
from .batches import BATCH_SIZE
from .queue import enqueue_events

logger = logging.getLogger(__name__)

LINGER_SECONDS = 0.002
"""How long the thread waits for more ids before sending what it has: a burst fills a message, a lone
event waits no longer than this."""


class Dispatcher:
    """One per process: a daemon thread sending the ids `send` was given, BATCH_SIZE to a message."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._wake = threading.Condition()
        self._pid: int | None = None

    def send(self, event_id: str) -> None:
        if current_app.conf.task_always_eager:
            enqueue_events([event_id])
            return
        with self._wake:
            self._ids.append(event_id)
            self._start_once_per_process()
            self._wake.notify()

    def flush(self) -> None:
        """Send what is waiting now, once (at exit)."""
        with self._wake:
            ids, self._ids = self._ids, []
        if ids:
            self._send(ids)

    def _start_once_per_process(self) -> None:
        # A forked web worker (gunicorn) inherits the object but not the thread: start one of its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            warn_once_if_missing()  # no Celery app of the project's: say why the events will stay pending
            threading.Thread(target=self._run, name="django-stripe-dispatcher", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._send(self._take())
            self._release_connection_when_idle()

    def _take(self) -> list[str]:
        with self._wake:
            while not self._ids:
                self._wake.wait()
            deadline = time.monotonic() + LINGER_SECONDS
            while len(self._ids) < BATCH_SIZE and (left := deadline - time.monotonic()) > 0:
                self._wake.wait(left)
            ids, self._ids = self._ids[:BATCH_SIZE], self._ids[BATCH_SIZE:]
        return ids

    def _send(self, ids: list[str]) -> None:
        try:
            close_old_connections()
            enqueue_events(ids, retry=False)  # a refusal is logged, and the unsent left to the sweeper
        except Exception:  # the database is away: the rows are pending, unmarked, and the sweeper sends them
            logger.exception("Stripe events stored but not sent to the workers: the sweeper will send them")

    def _release_connection_when_idle(self) -> None:
        with self._wake:
            idle = not self._ids
        if idle:
            connections.close_all()  # this thread's own: no connection held while no event comes


dispatcher = Dispatcher()
atexit.register(dispatcher.flush)
