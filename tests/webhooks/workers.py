"""Real Celery workers and a real web server in subprocesses, on the test database and the Redis broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database pytest-django created (test_<name>), for processes outside this one."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_project")]),
        "DATABASE_URL": test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **overrides,
    }


def wait_for(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(0.1)


class Subprocess:
    """A child in its own process group, so that it and its children can be killed together."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> Subprocess:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group at once: a worker dying mid-event, with no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Worker(Subprocess):
    """`celery -A example_project.celery:app worker` consuming one queue of its own, as the README runs it:
    without gossip, and with the example project's durable remote-control queue (tests/reliability/
    test_broker_loss.py says why)."""

    def __init__(self, queue: str, log: Path, concurrency: int = 4, **env: str) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "example_project.celery:app", "worker",
            "-Q", queue, "-c", str(concurrency), "-l", "info", "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]  # fmt: skip
        super().__init__(command, process_env(**env), log)

    def start(self) -> Worker:
        ready_before = self.output().count(" ready.")
        super().start()
        wait_for(lambda: self.output().count(" ready.") > ready_before, 60, f"worker ready\n{self.output()[-3000:]}")
        return self


class WebServer(Subprocess):
    """The example project served by `runserver` in its own process (its own broker settings)."""

    def __init__(self, log: Path, **env: str) -> None:
        self.port = free_port()
        command = [
            sys.executable, "example_project/manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload",
            "--skip-checks",
        ]  # fmt: skip
        super().__init__(command, process_env(**env), log)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        super().start()
        wait_for(self._listening, 30, f"web server up\n{self.output()[-3000:]}")
        return self

    def _listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0


class AsgiWebServer(WebServer):
    """The example project served by uvicorn (example_project/asgi.py: the async webhook endpoint), with
    `workers` processes, each with its dispatcher thread, as a production ASGI deployment runs it."""

    def __init__(self, log: Path, workers: int = 2, **env: str) -> None:
        super().__init__(log, **env)
        self.command = [
            sys.executable, "-m", "uvicorn", "example_project.asgi:application", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
