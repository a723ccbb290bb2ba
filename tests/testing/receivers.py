"""A real webhook endpoint for the tests: an HTTP server on 127.0.0.1 that verifies each delivery's
`Stripe-Signature` with the official SDK and records what it received."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

SECRET = "whsec_test_secret"


class Receiver:
    def __init__(self, secret: str = SECRET):
        self.secret = secret
        """The signing secret to verify with (settable: an endpoint created over the API learns it late)."""
        self.events: list[stripe.Event] = []
        self.failures: list[Exception] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = stripe.Webhook.construct_event(body, self.headers["Stripe-Signature"], receiver.secret)
                    receiver.events.append(event)
                    self.send_response(200)
                except (stripe.SignatureVerificationError, ValueError) as exc:
                    receiver.failures.append(exc)
                    self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[stripe.Event]:
        """The events received once there are at least `count` (deliveries from another process take a moment)."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.events)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
