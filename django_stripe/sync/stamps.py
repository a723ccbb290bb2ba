"""Stripe's clock: the time a state read from the API is stamped with.

A row's `synced_at` must never be newer than the state it holds, or an event about a change made in
between would look older than the row and be dropped as stale. Stripe reads the data somewhere between
receiving the request and sending the response (whose `Date` header is on its clock, in whole seconds),
so the safe stamp is the moment the request was sent: `Date` minus the time the call took, floored to
the second like event times. A change made while the answer was on its way is then stamped no earlier
than the state, and its event still lands (or ties, and the tie is settled by a fetch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

T = TypeVar("T")


def response_time(headers: Any) -> datetime | None:
    """The `Date` header of a Stripe response: the fetch time on Stripe's clock, not ours."""
    value = header(headers, "date")
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    # HTTP dates are GMT; a value the parser leaves naive (e.g. two Date headers joined by a comma) is too.
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def header(headers: Any, name: str) -> str | None:
    """A response header by its lowercase name, whatever case the server sent it in."""
    return next((v for k, v in dict(headers or {}).items() if k.lower() == name), None)


def stamp_of(headers: Any, elapsed: float = 0.0) -> datetime:
    """When a request that took `elapsed` seconds was sent, on Stripe's clock (ours when there is no
    `Date`), floored to the second: never later than the moment Stripe read what it answered."""
    when = (response_time(headers) or datetime.now(UTC)) - timedelta(seconds=elapsed)
    return when.replace(microsecond=0)


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """`call()` and how many seconds it took (only this call: wrap it inside a retry loop, not around one)."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
