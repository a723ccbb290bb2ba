"""`FakeStripe`: the state, the request pipeline (`handle`), events and their delivery, faults and the clock."""

from __future__ import annotations

import base64
import copy
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import stripe

from . import pages, stripejs
from .clock import Clock
from .dunning import Dunning
from .errors import StripeError, api_error, authentication_error, unrecognized_url
from .http_client import InProcessHTTPClient
from .lists import expand
from .params import as_list, parse_form
from .ratelimit import RATE_LIMITED_HEADERS, RATE_LIMITED_MESSAGE, RateLimit
from .resources import routes
from .resources.checkout import complete_session
from .resources.entitlements import attach_feature
from .resources.meter_events import STREAM_PATH, process_pending
from .resources.portal_configurations import add_default_configuration
from .resources.renewals import run_clock
from .routing import Request
from .store import Store, StripeObject, random_id
from .usage import Usage
from .webhooks import Delivery, Receiver, Webhooks, sign

API_VERSION: str = stripe.api_version
logger = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
# Stripe's API answers browsers of any origin (Stripe.js calls it with the publishable key).
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}


class FakeStripe:
    """An in-memory, stateful Stripe that answers the official SDK in-process or over HTTP.

    All state sits behind one lock, so one instance can serve a threaded HTTP server and test code at once.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._http_client: stripe.HTTPClient | None = None
        self.public_url: str | None = None
        """Where the fake is reachable over HTTP; hosted Checkout and portal URLs point there when set."""
        self.clock = Clock()
        self.webhooks = Webhooks()
        self._background: queue.SimpleQueue[StripeObject] | None = None
        self.reset()

    # -- state -------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, event, endpoint, fault, latency, rate limit and clock advance."""
        with self._lock:
            self.store = Store()
            add_default_configuration(self)  # an account's portal has its default configuration from the start
            self._events: list[StripeObject] = []
            self._queue: list[StripeObject] = []
            self._outbox: list[StripeObject] = []
            self._faults: list[tuple[int | None, float | None, str]] = []
            self.usage = Usage()
            """The meter events counted, the v2 stream's not counted yet, its sessions, the error reports."""
            self.latency = 0.0
            """Seconds every API request waits before it is answered, as Stripe's round trip would (benchmarks)."""
            self.rate_limit: RateLimit | None = None
            """Stripe's rate limit over every API request (`fake_stripe.ratelimit`); None: off, the default."""
            self._idempotent: dict[tuple[str, str], tuple[str, int, str]] = {}
            self._request: dict[str, str | None] | None = None
            self.delivery_mode = "immediate"
            """"immediate": delivered before the API call that caused them answers; "background": delivered in
            order from a thread, after the answer, as Stripe does; "queued": held until `deliver_queued()`."""
            self.features: dict[str, list[str]] = {}
            self.entitlement_summaries: dict[str, list[str]] = {}
            self.dunning: Dunning | None = Dunning()
            """How the clock retries a failed subscription payment, and what the subscription becomes after: by
            default as Stripe's default retry settings (three retries, then canceled); None: no retries, the
            subscription stays `past_due`. See `fake_stripe.dunning`."""
            self.clock.reset()
            self.webhooks.reset()

    @property
    def events(self) -> list[StripeObject]:
        """Every event so far, oldest first."""
        with self._lock:
            return list(self._events)

    def get(self, object_id: str) -> StripeObject | None:
        """A copy of any stored object by id (for assertions in tests)."""
        with self._lock:
            obj = self.store.get(object_id)
            return copy.deepcopy(obj) if obj is not None else None

    def now(self) -> int:
        return self.clock.now()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock; when the outermost holder leaves, deliver the events it produced (outside the lock,
        so an endpoint may call back into the fake)."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                outbox: list[StripeObject] = []
                if self._depth == 0:
                    outbox, self._outbox = self._outbox, []
        if outbox and self.delivery_mode == "background":
            self._deliver_later(outbox)
            return
        for event in outbox:
            self.webhooks.deliver(event)

    def _deliver_later(self, events: list[StripeObject]) -> None:
        with self._lock:
            if self._background is None:
                self._background = queue.SimpleQueue()
                threading.Thread(target=self._deliver_forever, name="fake-stripe-webhooks", daemon=True).start()
            for event in events:
                self._background.put(event)

    def _deliver_forever(self) -> None:
        assert self._background is not None
        while True:
            self.webhooks.deliver(self._background.get())

    # -- the request pipeline ----------------------------------------------------------------------------

    def http_client(self) -> stripe.HTTPClient:
        """A `stripe.HTTPClient` that calls this fake in-process (one per fake, so clients built on it are cached)."""
        if self._http_client is None:
            self._http_client = InProcessHTTPClient(self)
        return self._http_client

    def handle(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> tuple[int, dict[str, str], str]:
        """Answer one HTTP request: `(status, headers, body)`. Both transports go through here.

        Never raises: a failure the fake did not foresee is logged and answered as Stripe's 500 `api_error`, so
        an HTTP client gets an answer instead of a dropped connection.
        """
        request_id = random_id("req_")
        try:
            return self._handle(method.upper(), path, headers, body, request_id)
        except Exception as exc:
            logger.exception("The fake Stripe failed on %s %s (%s)", method, path, request_id)
            error = api_error(f"An unknown error occurred in the fake Stripe ({type(exc).__name__}); see its log.")
            # The same request would fail the same way: tell the SDK not to retry it.
            response_headers = {**_api_headers(request_id), "Stripe-Should-Retry": "false"}
            return 500, response_headers, json.dumps(error.body(request_id))

    def _handle(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes | str | None, request_id: str
    ) -> tuple[int, dict[str, str], str]:
        response_headers = _api_headers(request_id)
        lowered = {key.lower(): value for key, value in (headers or {}).items()}
        url = urlsplit(path)
        if isinstance(body, bytes):
            body = body.decode()

        if not url.path.startswith(("/v1/", "/v2/")):
            status, page_headers, text = pages.handle(self, method, url.path, parse_form(url.query, body or ""))
            return status, {**page_headers, "Request-Id": request_id}, text

        if self.latency:
            time.sleep(self.latency)
        # After the latency, as Stripe counts a request when it arrives and its 429 still takes the round trip;
        # before the faults, so a rejected request leaves an injected fault for the next one.
        rate_limit = self.rate_limit
        if rate_limit is not None and not rate_limit.take():
            error = StripeError(429, RATE_LIMITED_MESSAGE, code="rate_limit")
            return 429, {**response_headers, **RATE_LIMITED_HEADERS}, json.dumps(error.body(request_id))
        fault = self._take_fault(url.path)
        if fault is not None:
            status, delay = fault
            if delay:
                time.sleep(delay)
            if status is not None:
                return status, response_headers, json.dumps(_fault_error(status).body(request_id))

        idempotency_key = lowered.get("idempotency-key") if method == "POST" else None
        api_key = ""
        try:
            params = _params(url.path, url.query, body)
            api_key = self._authenticate(lowered.get("authorization") or _publishable_key(params), url.path)
            if api_key.startswith("pk_"):
                stripejs.check_publishable(self, method, url.path, params)
            if idempotency_key:
                replay = self._replay(api_key, idempotency_key, method + path + (body or ""))
                if replay is not None:
                    response_headers.update({"Idempotency-Key": idempotency_key, "Idempotent-Replayed": "true"})
                    return replay[0], response_headers, replay[1]
            status, text = 200, self._dispatch(method, url.path, params, request_id, idempotency_key, api_key)
        except StripeError as error:
            status, text = error.status, json.dumps(error.body(request_id))
        # Like Stripe's, the Date header is taken when the answer is ready: the state in the body is at least
        # as new as every event the request emitted (on the fake's clock, which a test may advance).
        response_headers["Date"] = formatdate(self.now(), usegmt=True)
        if idempotency_key:
            response_headers["Idempotency-Key"] = idempotency_key
            if status < 500 and api_key:
                with self._lock:
                    self._idempotent[(api_key, idempotency_key)] = (method + path + (body or ""), status, text)
        return status, response_headers, text

    def _dispatch(
        self, method: str, path: str, params: dict[str, Any], request_id: str, key: str | None, credential: str
    ) -> str:
        found = routes.match(method, path)
        if found is None:
            raise unrecognized_url(method, path)
        handler, args = found
        with self.locked():
            self._request = {"id": request_id, "idempotency_key": key}
            try:
                result = handler(Request(self, method, path, params, args, credential, request_id))
                return json.dumps(expand(self.store, result, [str(p) for p in as_list(params, "expand")]))
            finally:
                self._request = None

    def _authenticate(self, authorization: str | None, path: str = "") -> str:
        if path == STREAM_PATH and authorization:  # a meter event session's token: the route checks it
            return authorization.partition(" ")[2].strip()
        if not authorization:
            raise authentication_error(
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
            )
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "basic":
            credentials = base64.b64decode(credentials).decode(errors="replace").partition(":")[0]
        key = credentials.strip()
        if not key.startswith(("sk_test_", "rk_test_", "pk_test_")) or len(key) <= len("sk_test_"):
            shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
            raise authentication_error(f"Invalid API Key provided: {shown}")
        return key

    def _replay(self, api_key: str, key: str, fingerprint: str) -> tuple[int, str] | None:
        with self._lock:
            saved = self._idempotent.get((api_key, key))
        if saved is None:
            return None
        if saved[0] != fingerprint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        return saved[1], saved[2]

    # -- fault injection ---------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int | None = 500, delay: float | None = None, path: str = "") -> None:
        """The next `n` API requests answer `status` (429 or 5xx) in Stripe's error JSON, after `delay` seconds.

        With `status=None` they are only delayed, then answered normally. With `path` (a prefix such as
        "/v2/billing/meter_event_stream") only requests to paths under it take these faults, in order.
        """
        with self._lock:
            self._faults.extend([(status, delay, path)] * n)

    def pending_faults(self) -> int:
        """How many injected faults are still waiting for a request."""
        with self._lock:
            return len(self._faults)

    def _take_fault(self, path: str) -> tuple[int | None, float | None] | None:
        with self._lock:
            for index, (status, delay, prefix) in enumerate(self._faults):
                if path.startswith(prefix):
                    del self._faults[index]
                    return status, delay
            return None

    # -- events and webhooks -----------------------------------------------------------------------------

    def emit(
        self, event_type: str, obj: StripeObject, previous_attributes: dict[str, Any] | None = None
    ) -> StripeObject:
        """Record an event with a snapshot of `obj`, and deliver or queue it."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        request = self._request or {"id": None, "idempotency_key": None}
        event = {
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "id": self.store.new_id("evt_", 24),
            "livemode": False,
            "object": "event",
            "pending_webhooks": len(self.webhooks.subscribed(event_type)),
            "request": dict(request),
            "type": event_type,
        }
        self.store.add(event)
        self._events.append(event)
        if self.delivery_mode == "queued":
            self._queue.append(event)
        elif event["pending_webhooks"]:
            self._outbox.append(event)
        return event

    def add_webhook_endpoint(self, url: str | Receiver, secret: str, *, api_version: str | None = None) -> None:
        """Deliver events to `url` by HTTP POST, signed with `secret` (a callable `f(body, headers) -> status`
        receives them in-process instead), their snapshots rendered at `api_version` (None: the fake's own)."""
        with self._lock:
            self.webhooks.add(url, secret, api_version=api_version)

    def add_event_destination(self, url: str | Receiver, secret: str) -> None:
        """Deliver thin events (`v1.<type>` notifications naming the object, no snapshot) to `url`, signed with
        `secret`, as a Stripe event destination does; the Events v2 API serves them."""
        with self._lock:
            self.webhooks.add(url, secret, key=f"destination:{url if isinstance(url, str) else repr(url)}", thin=True)

    def queued_events(self) -> list[StripeObject]:
        """Events held in queued delivery mode and not delivered yet, oldest first."""
        with self._lock:
            return list(self._queue)

    def deliver(self, event: StripeObject, url: str | Receiver | None = None) -> list[Delivery]:
        """Deliver `event` now, to `url` or every endpoint; it leaves the queue. Any event, any number of times.

        A `url` no endpoint has is a ValueError, and the event stays queued.
        """
        deliveries = self.webhooks.deliver(event, url)
        with self._lock:
            for index, queued in enumerate(self._queue):
                if queued["id"] == event["id"]:
                    del self._queue[index]
                    break
        return deliveries

    def deliver_queued(self) -> list[Delivery]:
        """Deliver every queued event, oldest first."""
        with self._lock:
            queue, self._queue = self._queue, []
        return [delivery for event in queue for delivery in self.webhooks.deliver(event)]

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.webhooks.deliveries)

    @staticmethod
    def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
        """A `Stripe-Signature` header value for `payload`."""
        return sign(payload, secret, timestamp)

    # -- scenario helpers --------------------------------------------------------------------------------

    def advance_clock(self, seconds: int) -> None:
        """Move time forward: trials end, subscriptions renew and cancel at period end, each with its events."""
        with self.locked():
            process_pending(self)  # Stripe has counted the stream's events long before a renewal bills them
            run_clock(self, self.now() + int(seconds))

    def process_meter_events(self) -> None:
        """Validate and count the v2 stream's accepted events now (Stripe does it asynchronously; the fake on
        its next summary read or clock advance), with error reports for those it cannot count."""
        with self.locked():
            process_pending(self)

    def complete_checkout_session(self, session_id: str, payment_method: str = "pm_card_visa") -> StripeObject:
        """Complete a Checkout Session as a customer paying on the hosted page would, with its events."""
        with self.locked():
            return copy.deepcopy(complete_session(self, session_id, payment_method))

    def add_product_feature(self, product_id: str, lookup_key: str, name: str | None = None) -> StripeObject:
        """Give a product an entitlement feature (created on first use of `lookup_key`)."""
        with self.locked():
            return copy.deepcopy(attach_feature(self, product_id, lookup_key, name))


def _api_headers(request_id: str) -> dict[str, str]:
    return {**JSON_HEADERS, **CORS_HEADERS, "Request-Id": request_id, "Stripe-Version": API_VERSION}


def _params(path: str, query: str, body: str | None) -> dict[str, Any]:
    """The request's parameters: a v2 request's JSON body, or a v1 request's form (and the query string)."""
    if not path.startswith("/v2/") or not body:
        return parse_form(query, body or "") if body else parse_form(query)
    try:
        params = json.loads(body)
    except ValueError:
        raise StripeError(400, "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise StripeError(400, "The request body must be a JSON object.")
    return params


def _publishable_key(params: dict[str, Any]) -> str | None:
    """Stripe.js sends the publishable key as the `key` parameter instead of an Authorization header."""
    key = params.get("key")
    return f"Bearer {key}" if isinstance(key, str) and key.startswith("pk_") else None


def _fault_error(status: int) -> StripeError:
    if status == 429:
        return StripeError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    return StripeError(status, "An unknown error occurred (injected by the fake Stripe).", type="api_error")
