"""A real ASGI server (uvicorn) serving this process's Django over HTTP on a port of this worker's own: the
ASGI twin of pytest-django's `live_server`, in a thread of the test process, so that it sees the test database
and the `settings` a test changes, as `live_server` does. tests/webhooks/workers.py starts servers in
processes of their own."""

from __future__ import annotations

import threading

import uvicorn
from django.core.asgi import get_asgi_application

from tests.ports import free_port
from tests.webhooks.workers import wait_for

# The example project's URLs under an ASGI server: the webhook endpoint is the async view.
ASGI_URLCONF = "example_project.asgi_urls"


class AsgiLiveServer:
    """uvicorn on 127.0.0.1, started once for the session, stopped at its end."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            get_asgi_application(), host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn-live-server", daemon=True)

    def start(self) -> AsgiLiveServer:
        self._thread.start()  # uvicorn installs no signal handlers off the main thread
        wait_for(lambda: self._server.started or not self._thread.is_alive(), 30, f"uvicorn on port {self.port}")
        if not self._server.started:
            raise RuntimeError(f"uvicorn did not start on port {self.port}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)
