"""One request rate for every process that calls Stripe with the same key: a token bucket, with a share reserved.

Stripe counts requests per account and mode, whichever process sends them; so the bucket is kept in Redis
(`STRIPE_RATE_LIMIT_REDIS_URL`) when several processes share a key, or in the process without one. It is named
by a hash of the key, never by the key: a secret is neither stored nor logged.

- The rate (`STRIPE_RATE_LIMIT`, requests/s) defaults to 80% of Stripe's read limit for the key's mode (100/s
  live, 25/s test), and to no limit when `STRIPE_API_BASE` is not Stripe (a fake or stand-in has none known).
- Bulk requests (those made inside `bulk_requests()`: the backfill, the drift check) may use only
  `1 - STRIPE_RATE_LIMIT_RESERVED` of it; the app's own requests (writes, reads, the catch-up) the whole, so a
  backfill running flat out still leaves them the reserved share: it never starves a checkout.
- A 429 of Stripe's rate limiter (`Stripe-Rate-Limited-Reason`, or the error code `rate_limit`) pauses the
  whole bucket, every process, until its `Retry-After` (1 s when absent) has passed; the bucket then starts
  empty, so the rate comes back without a burst.

`RateLimitedHTTPClient` applies it: `client.get_client()` wraps the SDK's HTTP client in one, so every attempt,
the SDK's own retries included, takes a token first, and callers change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import stripe

from .conf import STRIPE_READ_LIMITS, is_stripes_api, key_mode, stripe_settings

logger = logging.getLogger(__name__)

# A bucket holds at most this many seconds of its rate: enough that a thread waking late loses no token, small
# enough that a burst plus the rate stays under Stripe's limit (80% of it, plus 0.2 s worth, is 96%).
BURST_SECONDS = 0.2
# How long a 429 pauses the bucket when Stripe says nothing of it (no Retry-After).
DEFAULT_RETRY_AFTER = 1.0
# How many times a request refused by the rate limiter is sent again (each after the pause, taking a token) before
# the SDK sees the 429: a refused request was not processed, so sending it again is safe, and a backfill page
# should not fail over a moment of contention.
RATE_LIMITED_RESENDS = 5
# The Redis key expires when the bucket is idle this long (it is full again by then anyway).
IDLE_EXPIRY_MS = 60_000

_bulk: ContextVar[bool] = ContextVar("django_stripe_bulk_requests", default=False)


@contextmanager
def bulk_requests() -> Iterator[None]:
    """Requests to Stripe made inside this block (this thread, this context) are bulk: they use only the
    unreserved share of the rate. A thread started inside it is not: it must enter the block itself."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def is_bulk() -> bool:
    """Whether the requests made now are bulk (inside `bulk_requests()`)."""
    return _bulk.get()


@lru_cache(maxsize=16)
def key_id(api_key: str) -> str:
    """The name a key's bucket goes by: a hash of the key, which does not give the key away."""
    return hashlib.sha256(b"django-stripe rate limit\0" + api_key.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Rate:
    """What a bucket allows: `per_second` in all, of which bulk requests may use `1 - reserved`."""

    per_second: float
    reserved: float = 0.2
    burst_seconds: float = BURST_SECONDS

    @property
    def bulk_per_second(self) -> float:
        # A bulk share of nothing would stall the backfill for good: at least 1% of the rate is left to it.
        return self.per_second * (1 - min(max(self.reserved, 0.0), 0.99))

    @property
    def burst(self) -> float:
        return max(1.0, self.per_second * self.burst_seconds)

    @property
    def bulk_burst(self) -> float:
        return max(1.0, self.bulk_per_second * self.burst_seconds)


def configured_rate(api_key: str) -> Rate | None:
    """The rate for `api_key` from the settings, read now; None for no limit."""
    value = stripe_settings.STRIPE_RATE_LIMIT
    if value is None:
        if not is_stripes_api(stripe_settings.STRIPE_API_BASE):
            return None
        # A key of no known shape gets the stricter limit, test mode's.
        value = 0.8 * STRIPE_READ_LIMITS.get(key_mode(api_key) or "test", STRIPE_READ_LIMITS["test"])
    per_second = float(value)
    if per_second <= 0:
        return None
    return Rate(per_second, float(stripe_settings.STRIPE_RATE_LIMIT_RESERVED))


class Bucket(Protocol):
    def take(self, rate: Rate, bulk: bool) -> float:
        """Take a token: 0 when taken, else the seconds to wait before asking again."""

    def pause(self, seconds: float) -> None:
        """Let no request through for `seconds`; the bucket is empty afterwards."""


class LocalBucket:
    """The bucket of one process, thread-safe. `clock` is injectable so that tests can step time by hand."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._levels: tuple[float, float] | None = None  # all, bulk: full at first use
        self._updated = 0.0
        self._paused_until = 0.0
        self.taken: Counter[str] = Counter()  # "bulk", "interactive": what went through, for tests and curiosity

    def take(self, rate: Rate, bulk: bool) -> float:
        with self._lock:
            now = self.clock()
            if now < self._paused_until:
                return self._paused_until - now
            elapsed = max(0.0, now - self._updated)
            self._updated = max(now, self._updated)
            level, bulk_level = self._levels or (rate.burst, rate.bulk_burst)
            level = min(rate.burst, level + elapsed * rate.per_second)
            bulk_level = min(rate.bulk_burst, bulk_level + elapsed * rate.bulk_per_second)
            wait = max(0.0, (1 - level) / rate.per_second)
            if bulk:
                wait = max(wait, (1 - bulk_level) / rate.bulk_per_second)
            if wait == 0:
                level -= 1
                bulk_level -= 1 if bulk else 0
                self.taken["bulk" if bulk else "interactive"] += 1
            self._levels = (level, bulk_level)
            return wait

    def pause(self, seconds: float) -> None:
        with self._lock:
            now = self.clock()
            self._paused_until = max(self._paused_until, now + seconds)
            # Empty, and refilling only from the end of the pause: no burst the moment it ends.
            self._levels = (0.0, 0.0)
            self._updated = self._paused_until


# The same algorithm as LocalBucket, atomic in Redis, on Redis's clock (one clock for every process). One hash per
# key: all, bulk (the levels), updated, paused_until, and the counts of requests let through.
_TAKE_SCRIPT = """
local key = KEYS[1]
local op, rate, bulk_rate = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local burst, bulk_burst, seconds = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local idle_ms = tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local s = redis.call('HMGET', key, 'all', 'bulk', 'updated', 'paused_until')
local all, blk = tonumber(s[1]) or burst, tonumber(s[2]) or bulk_burst
local updated, paused_until = tonumber(s[3]) or now, tonumber(s[4]) or 0
local function num(x) return string.format('%.17g', x) end
if op == 'pause' then
  paused_until = math.max(paused_until, now + seconds)
  redis.call('HSET', key, 'all', 0, 'bulk', 0, 'updated', num(paused_until), 'paused_until', num(paused_until))
  redis.call('PEXPIRE', key, math.ceil((paused_until - now) * 1000) + idle_ms)
  return '0'
end
if now < paused_until then return num(paused_until - now) end
local elapsed = math.max(0, now - updated)
all = math.min(burst, all + elapsed * rate)
blk = math.min(bulk_burst, blk + elapsed * bulk_rate)
local wait = math.max(0, (1 - all) / rate)
if op == 'bulk' then wait = math.max(wait, (1 - blk) / bulk_rate) end
if wait == 0 then
  all = all - 1
  if op == 'bulk' then blk = blk - 1 end
  redis.call('HINCRBY', key, 'taken_' .. op, 1)
end
redis.call('HSET', key, 'all', num(all), 'bulk', num(blk), 'updated', num(math.max(now, updated)),
  'paused_until', num(paused_until))
redis.call('PEXPIRE', key, idle_ms)
return num(wait)
"""


class RedisBucket:
    """The bucket shared by every process that reaches this Redis with the same key. Should Redis fail, the
    process goes on with a bucket of its own (and says so in the log) rather than failing its Stripe calls."""

    def __init__(self, url: str, name: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_TAKE_SCRIPT)
        self.key = f"django-stripe:rate-limit:{name}"
        self._fallback = LocalBucket()
        self._failing = False

    def take(self, rate: Rate, bulk: bool) -> float:
        wait = self._run("bulk" if bulk else "interactive", rate, 0.0)
        return self._fallback.take(rate, bulk) if wait is None else wait

    def pause(self, seconds: float) -> None:
        if self._run("pause", Rate(1.0), seconds) is None:
            self._fallback.pause(seconds)

    @property
    def taken(self) -> dict[str, int]:
        """How many requests this bucket let through, of each kind, from every process."""
        counts = self._redis.hmget(self.key, "taken_bulk", "taken_interactive")
        return {"bulk": int(counts[0] or 0), "interactive": int(counts[1] or 0)}

    def _run(self, op: str, rate: Rate, seconds: float) -> float | None:
        import redis

        args = [op, rate.per_second, rate.bulk_per_second, rate.burst, rate.bulk_burst, seconds, IDLE_EXPIRY_MS]
        try:
            wait = float(self._script(keys=[self.key], args=args))
        except redis.RedisError as error:
            if not self._failing:
                logger.warning("Stripe rate limit: Redis unreachable (%s), limiting this process alone", error)
            self._failing = True
            return None
        if self._failing:
            logger.warning("Stripe rate limit: Redis reachable again, the bucket is shared again")
            self._failing = False
        return wait


_local_buckets: dict[str, LocalBucket] = {}
_local_lock = threading.Lock()


def bucket_for(api_key: str) -> Bucket:
    """The bucket of `api_key`: in STRIPE_RATE_LIMIT_REDIS_URL's Redis, or this process's."""
    name = key_id(api_key)
    url = stripe_settings.STRIPE_RATE_LIMIT_REDIS_URL
    if url:
        return _redis_bucket(url, name)
    with _local_lock:
        return _local_buckets.setdefault(name, LocalBucket())


@lru_cache(maxsize=16)
def _redis_bucket(url: str, name: str) -> RedisBucket:
    # One per Redis and key, so one connection pool per process.
    return RedisBucket(url, name)


def reset_local_buckets() -> None:
    """Forget this process's buckets (tests: each starts with full ones)."""
    with _local_lock:
        _local_buckets.clear()


def wait_for_token(api_key: str) -> None:
    """Block until a request with `api_key` may be sent (no wait without a configured rate)."""
    while (wait := _take(api_key)) > 0:
        time.sleep(wait)


async def wait_for_token_async(api_key: str) -> None:
    while (wait := _take(api_key)) > 0:
        await asyncio.sleep(wait)


def _take(api_key: str) -> float:
    rate = configured_rate(api_key)
    return 0.0 if rate is None else bucket_for(api_key).take(rate, is_bulk())


def rate_limited_for(status: int, headers: Mapping[str, str] | None, body: Any) -> float | None:
    """How long Stripe's answer asks every request of the key to wait: None unless it is a 429 of the rate
    limiter (a 429 for a lock timeout is about one object, not the rate)."""
    if status != 429:
        return None
    headers = headers or {}
    reason = _header(headers, "Stripe-Rate-Limited-Reason")
    if reason is None and _error_code(body) != "rate_limit":
        return None
    try:
        seconds = float(_header(headers, "Retry-After") or DEFAULT_RETRY_AFTER)
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    return max(0.0, seconds)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # The SDK's clients answer with case-insensitive headers, but a custom one may not.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _error_code(body: Any) -> str | None:
    try:
        text = body.decode() if isinstance(body, bytes) else body
        return json.loads(text).get("error", {}).get("code") if isinstance(text, str) else None
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None


class RateLimitedHTTPClient(stripe.HTTPClient):
    """The SDK's HTTP client, each attempt taking a token of the key's bucket first. The SDK's retry loop is this
    class's own (inherited), so its retries come through `request` and take tokens too."""

    def __init__(self, inner: stripe.HTTPClient, api_key: str) -> None:
        super().__init__()
        self.inner = inner
        self.name = inner.name  # the SDK reports the HTTP library in its User-Agent
        self._api_key = api_key

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[Any, int, Mapping[str, str]]:
        return self._send(self.inner.request, method, url, headers, post_data)

    def request_stream(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[Any, int, Mapping[str, str]]:
        return self._send(self.inner.request_stream, method, url, headers, post_data)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[bytes, int, Mapping[str, str]]:
        return await self._send_async(self.inner.request_async, method, url, headers, post_data)

    async def request_stream_async(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[Any, int, Mapping[str, str]]:
        return await self._send_async(self.inner.request_stream_async, method, url, headers, post_data)

    def sleep_async(self, secs: float) -> Any:
        return self.inner.sleep_async(secs)

    def close(self) -> None:
        self.inner.close()

    async def close_async(self) -> None:
        await self.inner.close_async()

    def _send(self, send: Callable[..., Any], *args: Any) -> Any:
        for attempt in range(RATE_LIMITED_RESENDS + 1):
            wait_for_token(self._api_key)
            response = send(*args)
            if attempt == RATE_LIMITED_RESENDS or not self._paused_by(response):
                return response

    async def _send_async(self, send: Callable[..., Any], *args: Any) -> Any:
        for attempt in range(RATE_LIMITED_RESENDS + 1):
            await wait_for_token_async(self._api_key)
            response = await send(*args)
            if attempt == RATE_LIMITED_RESENDS or not self._paused_by(response):
                return response

    def _paused_by(self, response: tuple[Any, int, Mapping[str, str]]) -> bool:
        """Whether Stripe's rate limiter refused the request, the key's bucket now paused: then it is sent again
        once the pause is over. Without a configured rate there is no bucket: the SDK gets the 429 as before."""
        body, status, headers = response
        # A streamed body is not read here: its 429 is told by the header alone.
        seconds = rate_limited_for(status, headers, body if isinstance(body, str | bytes) else None)
        if seconds is None or configured_rate(self._api_key) is None:
            return False
        logger.warning(
            "Stripe rate limit reached (%s): every request of the key waits %.2f s",
            _header(headers or {}, "Stripe-Rate-Limited-Reason") or "rate_limit",
            seconds,
        )
        bucket_for(self._api_key).pause(seconds)
        return True
