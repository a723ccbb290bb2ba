"""Stripe's list objects and `expand[]`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import parameter_invalid, resource_missing
from .params import as_int
from .routing import Request
from .store import Store, StripeObject

Check = Callable[[StripeObject], bool]
"""A list filter's test of one object."""


def list_page(
    request: Request,
    object_type: str,
    match: Check | None = None,
    url: str | None = None,
    created: tuple[int | None, int | None] | None = None,
) -> dict[str, Any]:
    """A page of `object_type`, newest first: `limit` (1..100, default 10), `starting_after`, `ending_before`;
    `created`, the `[from, to)` range `match` keeps (if any), lets the store skip to it."""
    params = request.params
    limit = page_limit(params)
    data, has_more = request.fake.store.page(
        object_type,
        limit,
        match,
        params.get("starting_after") or None,
        params.get("ending_before") or None,
        created=created,
    )
    return {"object": "list", "data": data, "has_more": has_more, "url": url or request.path}


def all_of(*checks: Check | None) -> Check | None:
    active = [check for check in checks if check is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda obj: all(check(obj) for check in active)


def field_is(name: str, value: Any) -> Check | None:
    """A filter on `obj[name] == value`, or None when the parameter was not given."""
    if value is None or value == "":
        return None
    return lambda obj: obj.get(name) == value


def expand(store: Store, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of `obj` with each dotted path's ids replaced by the objects (`data.customer` for lists)."""
    if not paths:
        return obj
    result = copy.deepcopy(obj)
    for path in paths:
        _expand(store, result, path.split("."))
    return result


def _expand(store: Store, node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(store, item, parts)
        return
    if not isinstance(node, dict) or parts[0] not in node:
        return
    value = node[parts[0]]
    if isinstance(value, str) and (target := store.get(value)) is not None:
        value = node[parts[0]] = copy.deepcopy(target)
    if len(parts) > 1 and value is not None:
        _expand(store, value, parts[1:])


def list_of(request: Request, items: list[StripeObject], url: str, object_name: str) -> dict[str, Any]:
    """A Stripe list over a small in-memory sequence (already newest first), with the same paging rules.

    A cursor that is not in the sequence is Stripe's 404, as for `Store.page` (`object_name`: "line item").
    """
    params = request.params
    limit = page_limit(params)
    ids = [item["id"] for item in items]
    starting_after = params.get("starting_after") or None
    ending_before = params.get("ending_before") or None
    if ending_before:  # as Store.page: ending_before wins when both are given
        end = _cursor(ids, ending_before, object_name, "ending_before")
        start = max(0, end - limit)
        return {"object": "list", "data": items[start:end], "has_more": start > 0, "url": url}
    start = _cursor(ids, starting_after, object_name, "starting_after") + 1 if starting_after else 0
    return {"object": "list", "data": items[start : start + limit], "has_more": start + limit < len(items), "url": url}


def _cursor(ids: list[str], cursor: Any, object_name: str, param: str) -> int:
    if cursor not in ids:
        raise resource_missing(object_name, str(cursor), param)
    return ids.index(cursor)


def page_limit(params: dict[str, Any]) -> int:
    """`limit` as Stripe takes it: 1 to 100, 10 when absent."""
    limit = as_int(params, "limit", 10)
    if not 1 <= limit <= 100:
        raise parameter_invalid(
            "limit",
            f"This value must be between 1 and 100 (it currently is '{limit}').",
            "parameter_invalid_integer",
        )
    return limit
