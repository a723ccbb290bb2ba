"""Stripe list pages: one request per page, 429 and 5xx retried with backoff (sync/backoff.py).

Pages are read with `StripeClient.raw_request`, i.e. through the same client, keys, retries and API
version as every other call, but the JSON is kept as the plain dicts Stripe sent instead of being turned
into `StripeObject`s and back: that conversion would cost more than writing the page to the database.

A page is stamped with the time its request was sent, on Stripe's clock (sync/stamps.py): never later
than the moment Stripe read the objects it lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..client import get_client
from .backoff import DEFAULT_BACKOFF, Backoff, with_backoff
from .mappers import Payload
from .stamps import stamp_of, timed

PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    """One list page: its objects (plain dicts), whether more follow, and when it was asked for (Stripe's clock)."""

    data: list[Payload]
    has_more: bool
    stamp: datetime

    @property
    def last_id(self) -> str | None:
        return self.data[-1]["id"] if self.data else None


def fetch_page(path: str, params: dict[str, Any], backoff: Backoff = DEFAULT_BACKOFF) -> Page:
    """GET one list page of `path` (e.g. "/v1/customers") with `params`, retrying 429 and 5xx."""
    # Timed inside the retry loop: the stamp is the sending of the request that answered, not of the first try.
    response, elapsed = with_backoff(lambda: timed(lambda: get_client().raw_request("get", path, **params)), backoff)
    body = response.data
    return Page(list(body.get("data") or []), bool(body.get("has_more")), stamp_of(response.headers, elapsed))


def fetch_all(path: str, params: dict[str, Any], backoff: Backoff = DEFAULT_BACKOFF) -> tuple[list[Payload], datetime]:
    """Every object of a short list (one customer's, one subscription's), page after page, and the stamp
    of its first page (the earliest, so the whole list is stamped no later than any of it was read)."""
    payloads: list[Payload] = []
    stamp: datetime | None = None
    after: str | None = None
    while True:
        page = fetch_page(path, _page_params(params, after), backoff)
        payloads.extend(page.data)
        stamp = stamp or page.stamp
        after = page.last_id
        if not (page.has_more and after):
            return payloads, stamp


def iter_pages(
    path: str, params: dict[str, Any], starting_after: str | None = None, backoff: Backoff = DEFAULT_BACKOFF
) -> Iterator[Page]:
    """Every page of a list from `starting_after` on, newest first (Stripe's order).

    The next page is requested while the caller writes the current one, from one background thread and
    one page ahead at most (memory holds the page being written and the one fetched ahead, never more):
    against Stripe, hundreds of milliseconds a page, the database write then costs no wall time. The
    cursor of the next request is the last id of the page just read, known before that page is written.
    Only the HTTP request runs in the thread: the caller's database work stays on its own thread.
    """
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stripe-page")
    try:
        pending = ahead.submit(fetch_page, path, _page_params(params, starting_after), backoff)
        while pending is not None:
            page = pending.result()
            more = page.has_more and page.last_id
            pending = ahead.submit(fetch_page, path, _page_params(params, page.last_id), backoff) if more else None
            yield page
    finally:
        # Left early (a write failed, the run was interrupted): the page fetched ahead is dropped, not waited
        # for; a resumed run asks for it again after the cursor.
        ahead.shutdown(wait=False, cancel_futures=True)


def _page_params(params: dict[str, Any], starting_after: str | None) -> dict[str, Any]:
    page_params = {**params, "limit": PAGE_SIZE}
    if starting_after:
        page_params["starting_after"] = starting_after
    return page_params
