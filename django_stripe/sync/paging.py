"""Stripe list pages for the backfill: one request per page, 429 and 5xx retried with backoff.

Pages are read with `StripeClient.raw_request`, i.e. through the same client, keys, retries and API
version as every other call, but the JSON is kept as the plain dicts Stripe sent instead of being turned
into `StripeObject`s and back: that conversion would cost more than writing the page to the database.

The SDK retries connection errors, 409 and 5xx itself (`STRIPE_MAX_NETWORK_RETRIES`), but not 429; a
rate limit, and a 5xx that outlived the SDK's retries, back off here: exponentially, with jitter, and never
sooner than a `Retry-After` header asks.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from ..client import get_client
from .fetch import response_time
from .mappers import Payload

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


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


@dataclass(frozen=True)
class Page:
    """One list page: its objects (plain dicts), whether more follow, and Stripe's clock when it was read."""

    data: list[Payload]
    has_more: bool
    stamp: datetime

    @property
    def last_id(self) -> str | None:
        return self.data[-1]["id"] if self.data else None


def stamp_of(headers: Any) -> datetime:
    """The response's `Date` (Stripe's clock), or ours when absent, in whole seconds like event times."""
    when = response_time(headers) or datetime.now(UTC)
    return when.replace(microsecond=0)


def fetch_page(path: str, params: dict[str, Any], backoff: Backoff = DEFAULT_BACKOFF) -> Page:
    """GET one list page of `path` (e.g. "/v1/customers") with `params`, retrying 429 and 5xx."""
    response = with_backoff(lambda: get_client().raw_request("get", path, **params), backoff)
    body = response.data
    return Page(list(body.get("data") or []), bool(body.get("has_more")), stamp_of(response.headers))


def with_backoff(call: Callable[[], Any], backoff: Backoff = DEFAULT_BACKOFF, sleep=time.sleep) -> Any:
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


def is_retryable(error: stripe.StripeError) -> bool:
    status = error.http_status or 0
    return isinstance(error, stripe.RateLimitError) or status == 429 or status >= 500


def retry_after(error: stripe.StripeError) -> float | None:
    headers = error.headers or {}
    value = next((v for k, v in dict(headers).items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def iter_pages(
    path: str, params: dict[str, Any], starting_after: str | None = None, backoff: Backoff = DEFAULT_BACKOFF
) -> Iterator[Page]:
    """Every page of a list from `starting_after` on, newest first (Stripe's order).

    The next page is requested while the caller writes the current one (one page ahead, so memory holds
    at most two pages): against Stripe the database write then costs no wall time. The cursor of the next
    request is the last id of the page just read, which is known before that page is written.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stripe-page") as pool:
        after = starting_after
        pending = pool.submit(fetch_page, path, _page_params(params, after), backoff)
        while pending is not None:
            page = pending.result()
            after = page.last_id or after
            pending = (
                pool.submit(fetch_page, path, _page_params(params, after), backoff)
                if page.has_more and page.data
                else None
            )
            try:
                yield page
            except GeneratorExit:
                if pending is not None:
                    pending.cancel()
                raise


def _page_params(params: dict[str, Any], starting_after: str | None) -> dict[str, Any]:
    page_params = {**params, "limit": PAGE_SIZE}
    if starting_after:
        page_params["starting_after"] = starting_after
    return page_params
