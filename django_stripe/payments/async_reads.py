"""The reads of async views: `await ais_subscribed(request.user)` and the others, each its sync twin run off the
event loop.

Each runs the sync read, unchanged, with `sync_to_async(thread_sensitive=True)`: on the thread Django gives the
request's sync work (its sync middleware, `request.user`'s session lookup), as Django's own async ORM methods
(`aget`, `aexists`) do. The twin is the whole read, not only its query: the lazy `request.user` is loaded, the
settings read and the cache asked on that thread too, so nothing of it blocks the loop, and an answer is the
sync read's by construction (the same query, the same cache, the same rules).

Why that thread, and not the loop's pool of threads (`thread_sensitive=False`, as the async webhook endpoint
does): measured under uvicorn (docs/async.md), the two answer within the noise of each other, the query being as
short as the hop; but only the request's thread sees what the request's own sync code
did on its connection (a test's transaction, a `sync_to_async` write just before), and its connection is
closed with the request, as CONN_MAX_AGE says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from .access import (
    SubscriptionInfoWithEvaluation,
    has_entitlement,
    is_subscribed,
    is_subscribed_and_cancelled_time,
    is_subscribed_with_cache,
)
from .lists import invoice_payloads, subscription_payloads
from .pages import Paginate
from .payment_methods import payment_method_payloads
from .products import get_prices, get_products

T = TypeVar("T")


async def _off_the_loop(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await sync_to_async(read, thread_sensitive=True)(*args, **kwargs)


async def ais_subscribed(user: Any, product_id: str | None = None) -> bool:
    """`is_subscribed` for async views: `await ais_subscribed(request.user, "prod_pro")`."""
    return await _off_the_loop(is_subscribed, user, product_id)


async def ais_subscribed_with_cache(user: Any, product_id: str | None = None) -> bool:
    """`is_subscribed_with_cache` for async views: the same cache, the same invalidation."""
    return await _off_the_loop(is_subscribed_with_cache, user, product_id)


async def ais_subscribed_and_cancelled_time(user: Any, product_id: str | None = None) -> SubscriptionInfoWithEvaluation:
    """`is_subscribed_and_cancelled_time` for async views."""
    return await _off_the_loop(is_subscribed_and_cancelled_time, user, product_id)


async def ahas_entitlement(user: Any, lookup_key: str) -> bool:
    """`has_entitlement` for async views: `await ahas_entitlement(request.user, "reports")`."""
    return await _off_the_loop(has_entitlement, user, lookup_key)


async def asubscription_payloads(
    user: Any, status: str | None = None, *, paginate: Paginate | None = None
) -> list[dict[str, Any]]:
    """`subscription_payloads` for async views."""
    return await _off_the_loop(subscription_payloads, user, status, paginate=paginate)


async def ainvoice_payloads(
    user: Any, status: str | None = None, subscription_id: str | None = None, *, paginate: Paginate | None = None
) -> list[dict[str, Any]]:
    """`invoice_payloads` for async views."""
    return await _off_the_loop(invoice_payloads, user, status, subscription_id, paginate=paginate)


async def apayment_method_payloads(
    user: Any, types: list[str] | None = None, *, paginate: Paginate | None = None, **kwargs: Any
) -> list[dict[str, Any]]:
    """`payment_method_payloads` for async views."""
    return await _off_the_loop(payment_method_payloads, user, types, paginate=paginate, **kwargs)


async def aget_products(
    user: Any,
    ids: list[str] | None = None,
    price_kwargs: dict[str, Any] | None = None,
    *,
    paginate: Paginate | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """`get_products` for async views (its StripeAccessDenied and StripeObjectNotFound raised the same)."""
    return await _off_the_loop(get_products, user, ids, price_kwargs, paginate=paginate, **kwargs)


async def aget_prices(
    user: Any,
    product: str | None = None,
    currency: str | None = None,
    *,
    paginate: Paginate | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """`get_prices` for async views (its StripeAccessDenied raised the same)."""
    return await _off_the_loop(get_prices, user, product, currency, paginate=paginate, **kwargs)
