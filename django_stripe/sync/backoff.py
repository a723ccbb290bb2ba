"""Backing off from Stripe's rate limits (429) and server errors (5xx), for every call the sync makes.

The SDK retries connection errors, 409 and 5xx itself (`STRIPE_MAX_NETWORK_RETRIES`), but not 429; a
rate limit, and a 5xx that outlived the SDK's retries, back off here: exponentially, with jitter, and never
sooner than a `Retry-After` header asks.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import stripe

from ..stripe_errors import is_retryable
from .stamps import header

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """How long to wait before retry number n (1-based): `base * 2**(n-1)` capped, plus up to 25% jitter."""

    attempts: int = 8
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        wait = min(self.base * 2 ** (attempt - 1), self.cap)
        wait += random.uniform(0, wait / 4)
        return max(wait, retry_after or 0.0)


DEFAULT_BACKOFF = Backoff()


def with_backoff(call: Callable[[], T], backoff: Backoff = DEFAULT_BACKOFF, sleep=time.sleep) -> T:
    """`call()`, retried after a rate limit (429) or a server error (5xx) until `backoff.attempts` is spent."""
    attempt = 0
    while True:
        try:
            return call()
        except stripe.StripeError as error:
            attempt += 1
            if not is_retryable(error) or attempt >= backoff.attempts:
                raise
            wait = backoff.delay(attempt, retry_after(error))
            logger.warning("Stripe answered %s; retry %d in %.1f s", error.http_status, attempt, wait)
            sleep(wait)


def retry_after(error: stripe.StripeError) -> float | None:
    value = header(error.headers, "retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
