"""A small HTTP server that answers as Stripe does where the tests of the rate limit need it: the answers given in
order (the last repeats), or, with `per_second`, 200 within a rate and Stripe's 429 over it. It counts what it
answered. Independent of django_stripe.ratelimit on purpose: the limiter is tested against it."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], dict]

RATE_LIMITED: Answer = (
    429,
    # Stripe says whole seconds; a tenth keeps the tests short.
    {"Stripe-Rate-Limited-Reason": "global-rate", "Retry-After": "0.1", "Stripe-Should-Retry": "true"},
    {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Request rate limit exceeded."}},
)
LOCK_TIMEOUT: Answer = (
    429,
    {},
    {"error": {"type": "invalid_request_error", "code": "lock_timeout", "message": "This object cannot be accessed."}},
)
CUSTOMER: Answer = (200, {}, {"id": "cus_1", "object": "customer", "email": "a@example.com"})


class StripeStandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answers: list[Answer], per_second: float | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = answers
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()
        # Stripe's limiter as a token bucket of one second's worth
        self.per_second = per_second
        self._tokens = per_second or 0.0
        self._updated = time.monotonic()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self) -> Answer:
        with self.lock:
            index = min(self.requests, len(self.answers) - 1)
            self.requests += 1
            if self.per_second is not None:
                now = time.monotonic()
                self._tokens = min(self.per_second, self._tokens + (now - self._updated) * self.per_second)
                self._updated = now
                if self._tokens < 1:
                    self.statuses[429] += 1
                    return (429, {**RATE_LIMITED[1], "Retry-After": "1"}, RATE_LIMITED[2])
                self._tokens -= 1
            answer = self.answers[index]
            self.statuses[answer[0]] += 1
            return answer

    def start(self) -> StripeStandIn:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: StripeStandIn

    def do_GET(self) -> None:
        status, headers, body = self.server.answer()
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Request-Id": "req_1", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass
