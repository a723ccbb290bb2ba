"""Why the endpoint refused a delivery, logged so that a misconfiguration is found without reading responses.

A wrong STRIPE_WEBHOOK_SECRET used to be silent: the dev server logs only "Bad Request: /api/webhook/", and the
reason was in the response body, which only Stripe's dashboard shows. Each refusal is logged at WARNING on the
`django_stripe.webhooks` logger with its reason and what to check. A storm of refusals (every delivery of an
endpoint whose secret is wrong, an attacker's flood) must not flood the log: a reason is logged at most once per
`INTERVAL`, and the next line of that reason says how many were not logged meanwhile. Neither a secret nor a
signature header is ever part of a line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..conf import key_mode, stripe_settings

logger = logging.getLogger("django_stripe.webhooks")

INTERVAL = 60.0
"""Seconds during which a reason, once logged, is only counted."""

BAD_SIGNATURE = "bad signature"
TOLERANCE = "timestamp outside the tolerance"
OTHER_MODE = "event livemode does not match the API key's mode"
CONNECTED_ACCOUNT = "events of connected accounts are not accepted"


def what_to_check(reason: str) -> str:
    """The hint logged with a refusal `reason` (the short text the endpoint answers with)."""
    if reason == BAD_SIGNATURE:
        return (
            "no secret in STRIPE_WEBHOOK_SECRET verifies the Stripe-Signature header: check that STRIPE_WEBHOOK_SECRET "
            "is this endpoint's signing secret (Stripe Dashboard, Developers, Webhooks, the endpoint, Signing "
            "secret); `stripe listen` prints a signing secret of its own when it starts. A proxy that rewrites the "
            "body breaks the signature too"
        )
    if reason == TOLERANCE:
        return (
            f"the signature's timestamp is more than STRIPE_WEBHOOK_TOLERANCE ({stripe_settings.webhook_tolerance} s) "
            "from this server's clock: check the server's clock (NTP); a delivery replayed later is refused so too"
        )
    if reason == OTHER_MODE:
        return (
            f"STRIPE_SECRET_KEY is a {key_mode(stripe_settings.STRIPE_SECRET_KEY)} key and the event is of the other "
            "mode: the key and the endpoint belong to different modes (a test endpoint's secret listed beside the "
            "live one, or the other way round)"
        )
    if reason == CONNECTED_ACCOUNT:
        return (
            "the event is a connected account's (it carries `account`): set STRIPE_CONNECT_EVENTS = True to mirror "
            "them, or stop sending the Connect endpoint's events here"
        )
    if reason == "missing signature":
        return "the request has no Stripe-Signature header: it is not from Stripe, or a proxy dropped the header"
    if reason == "malformed signature header":
        return "the Stripe-Signature header is not Stripe's (t=...,v1=...): check that no proxy rewrites it"
    if reason in ("body too large", "bad content length"):
        return (
            f"the body is over STRIPE_WEBHOOK_MAX_BODY_BYTES ({stripe_settings.STRIPE_WEBHOOK_MAX_BODY_BYTES}) or its "
            "Content-Length is not a number: raise the setting if Stripe's events are that large"
        )
    return "the signed body is not a Stripe event this mirror can store (malformed JSON, missing fields)"


@dataclass
class _Seen:
    logged_at: float
    unlogged: int = 0


class RefusalLog:
    """Logs each refusal reason at most once per `interval` seconds, counting the ones it leaves out."""

    def __init__(self, interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self.clock = interval, clock
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()  # the endpoint answers in many threads

    def refused(self, reason: str, detail: str = "") -> bool:
        """Log the refusal unless its reason was logged within the interval; returns whether it was logged."""
        now = self.clock()
        with self._lock:
            seen = self._seen.get(reason)
            if seen is not None and now - seen.logged_at < self.interval:
                seen.unlogged += 1
                return False
            unlogged = seen.unlogged if seen is not None else 0
            self._seen[reason] = _Seen(now)
        logger.warning("%s", self.line(reason, detail, unlogged))
        return True

    def line(self, reason: str, detail: str, unlogged: int) -> str:
        about = f" {detail}" if detail else ""
        since = f" ({unlogged} more refused for this reason since the last line were not logged)" if unlogged else ""
        return f"Stripe webhook{about} refused ({reason}): {what_to_check(reason)}.{since}"

    def reset(self) -> None:
        """Forget what was logged (tests: each starts with a quiet log)."""
        with self._lock:
            self._seen.clear()


refusal_log = RefusalLog()
