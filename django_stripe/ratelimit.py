"""STAND-IN for part H's limiter (issue 28): only the interface the backfill uses, doing nothing yet.

`bulk_requests()` marks the requests made inside it (this thread) as bulk traffic; part H's module replaces
this file at merge and applies the limiter in the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_requests() -> Iterator[None]:
    """Requests made inside are bulk traffic (the stand-in does nothing)."""
    yield
