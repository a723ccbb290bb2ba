"""Stripe's rate limit, as the fake answers it: a token bucket over the API requests (`/v1/...`) of the whole
fake (Stripe limits an account, not a connection or a key's process), set by a test or a benchmark:

    fake.rate_limit = RateLimit(per_second=25)            # Stripe's test-mode read limit
    fake.rate_limit = RateLimit(per_second=100, burst=10)  # live mode, at most 10 at once after a pause
    fake.rate_limit = None                                 # off: the default, restored by `reset()`

A request over the rate is answered as Stripe answers it: HTTP 429 with `code: rate_limit` and the headers
`Stripe-Rate-Limited-Reason: global-rate`, `Retry-After: 1`, `Stripe-Should-Retry: true`. Off by default, so
the fake's answers (and the recorded scenario) are what they were before it had one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RATE_LIMITED_HEADERS = {"Stripe-Rate-Limited-Reason": "global-rate", "Retry-After": "1", "Stripe-Should-Retry": "true"}
RATE_LIMITED_MESSAGE = (
    "Request rate limit exceeded. You can learn more about rate limits here https://docs.stripe.com/rate-limits."
)


@dataclass
class RateLimit:
    """A token bucket: `per_second` tokens flow in, at most `burst` are kept (default: one second's worth, at
    least 1); each API request takes one, and one that finds none is answered 429 (it takes nothing then)."""

    per_second: float
    burst: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    """Where the bucket reads the time (monotonic; a test may step its own)."""
    allowed: int = field(default=0, init=False, compare=False)
    """API requests let through so far."""
    limited: int = field(default=0, init=False, compare=False)
    """API requests answered 429 so far."""

    def __post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError("RateLimit.per_second must be above 0 (fake.rate_limit = None turns it off)")
        if self.burst is not None and not self.burst >= 1:
            raise ValueError("RateLimit.burst must be at least 1: a request takes a whole token")
        self._lock = threading.Lock()
        # A new limit starts with a full bucket, as an account that sent nothing for a while.
        self._tokens = self.capacity
        self._at = self.clock()

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else max(1.0, float(self.per_second))

    def take(self) -> bool:
        """Whether one more request may pass now (and count it either way)."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                self.allowed += 1
                return True
            self.limited += 1
            return False

    def as_dict(self) -> dict[str, float | int | None]:
        """What the control endpoint answers: the setting and the counts."""
        return {"per_second": self.per_second, "burst": self.burst, "allowed": self.allowed, "limited": self.limited}
