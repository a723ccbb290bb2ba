"""The fake Stripe over real HTTP.

    python -m fake_stripe --host 127.0.0.1 --port 12111 \\
        [--webhook-url http://127.0.0.1:8000/api/webhook/ --webhook-secret whsec_... --background-delivery]

Point the SDK at it with `STRIPE_API_BASE=http://127.0.0.1:12111` and any `sk_test_...` key. In Python,
`FakeStripeServer(fake).start()` serves a `FakeStripe` from a background thread (port 0 picks a free port).
A browser page can load a stand-in for Stripe.js from `<server>/v3/`. (`python -m django_stripe.testing.server`
is the same command under its old name.)
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .core import FakeStripe


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed after each request)
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, text = self.server.fake.handle(self.command, self.path, dict(self.headers.items()), body)
        payload = text.encode()
        self._date = headers.pop("Date", None)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def date_time_string(self, timestamp: float | None = None) -> str:
        # send_response() adds a Date header of its own: make it the fake's (on the fake's clock), so that
        # there is one Date, as from Stripe.
        return getattr(self, "_date", None) or super().date_time_string(timestamp)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeStripe, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.fake = fake
        self.verbose = verbose


class FakeStripeServer:
    """A `FakeStripe` served over HTTP from a background thread."""

    def __init__(self, fake: FakeStripe | None = None, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.fake = fake or FakeStripe()
        self._server = _Server((host, port), self.fake, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripeServer:
        self.fake.public_url = self.fake.public_url or self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.fake.public_url = self.fake.public_url or self.url
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeStripeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    options = parser.parse_args(argv)
    fake = FakeStripe()
    try:
        server = FakeStripeServer(fake, options.host, options.port, verbose=options.verbose)
    except OSError as error:  # the port is taken, or the host is not one of this machine's
        parser.error(f"cannot listen on {options.host}:{options.port}: {error.strerror or error}")
    secret = options.webhook_secret or f"whsec_{secrets.token_hex(16)}"
    for url in options.webhook_url:
        fake.add_webhook_endpoint(url, secret)
        print(f"Delivering events to {url} (secret {secret})", file=sys.stderr)
    if options.queue_events:
        fake.delivery_mode = "queued"
    elif options.background_delivery:
        fake.delivery_mode = "background"
    print(f"Fake Stripe listening on {server.url} (any sk_test_... key)", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fake_stripe", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=12111, help="0 picks a free port")
    parser.add_argument("--webhook-url", action="append", default=[], help="deliver events here (repeatable)")
    parser.add_argument("--webhook-secret", help="signing secret for the webhook URLs (default: a new whsec_...)")
    parser.add_argument("--queue-events", action="store_true", help="hold events instead of delivering them")
    parser.add_argument(
        "--background-delivery",
        action="store_true",
        help="deliver events from a thread after the API call has answered, as Stripe does",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def _port(value: str) -> int:
    """A TCP port, 0 to 65535 (argparse prints the ArgumentTypeError as a usage error, not a traceback)."""
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0 to 65535)")
    return int(value)


if __name__ == "__main__":
    main()
