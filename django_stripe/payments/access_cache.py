"""The cache of access answers behind `is_subscribed_with_cache`: per customer, dropped when their
subscriptions change.

The sync sends `customer_subscriptions_changed` from `transaction.on_commit` (sync/items.py, for a state
and for a page): once the change is visible to every connection, never before, or a check made in between
would read the old rows and cache them again.

That leaves one race: a check that read the old rows just before the commit and stores its answer just
after the invalidation. Every customer therefore has a stamp, renewed by each invalidation, and an answer
is stored with the stamp read *before* its query: an answer stored under an older stamp is never served.
A warm check is one `get_many` of the stamp and the answers (one round trip to Redis) and no query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import BaseCache, caches

from ..conf import stripe_settings

# A stamp outlives every answer stored under the one before it (an answer lives the cache timeout from
# when it is stored, which is at most a query's time after the stamp changed).
STAMP_MARGIN_SECONDS = 3600


def subscription_cache() -> BaseCache:
    return caches[stripe_settings.STRIPE_SUBSCRIPTION_CACHE_NAME]


def cached_answer(customer_id: str, product_id: str | None, compute: Callable[[], bool]) -> bool:
    """The cached answer for (customer, product), or `compute()`'s, stored for the next check."""
    cache = subscription_cache()
    stamp_key, answers_key = _keys(customer_id)
    found = cache.get_many([stamp_key, answers_key])
    stamp, entry = found.get(stamp_key), found.get(answers_key)
    # An entry stored under another stamp was computed before the last change: stale.
    answers = entry[1] if isinstance(entry, tuple) and entry[0] == stamp else {}
    if product_id not in answers:
        answers = {**answers, product_id: compute()}
        cache.set(
            answers_key, (stamp, answers), timeout=stripe_settings.STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS
        )
    return answers[product_id]


def forget(customer_id: str) -> None:
    """Make every cached answer of the customer stale, including one being computed right now."""
    cache = subscription_cache()
    stamp_key, answers_key = _keys(customer_id)
    cache.set(stamp_key, uuid.uuid4().hex, timeout=_stamp_timeout())
    cache.delete(answers_key)  # not needed for correctness: frees the entry now rather than at its timeout


def forget_cached_access(sender, customer_id: str, **kwargs) -> None:
    """The receiver of `customer_subscriptions_changed` (connected by the app's ready())."""
    forget(customer_id)


def _keys(customer_id: str) -> tuple[str, str]:
    return f"django_stripe:access-stamp:{customer_id}", f"django_stripe:access:{customer_id}"


def _stamp_timeout() -> int | None:
    timeout = stripe_settings.STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS
    return None if timeout is None else timeout + STAMP_MARGIN_SECONDS
