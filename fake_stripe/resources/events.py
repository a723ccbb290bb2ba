"""The Events API: `/v1/events` (newest first; `type` with a `*` wildcard, `types[]`, `created`) and retrieve."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from ..lists import all_of, list_page
from ..params import as_str, as_strings, created_filter
from ..routing import Request, routes
from ..store import StripeObject


@routes.get("/v1/events")
def list_events(request: Request) -> dict[str, Any]:
    params = request.params
    pattern = as_str(params, "type")
    types = set(as_strings(params, "types"))
    created = created_filter(params)
    return list_page(
        request,
        "event",
        all_of(
            (lambda e: fnmatchcase(e["type"], pattern)) if pattern else None,
            (lambda e: e["type"] in types) if types else None,
            (lambda e: created(e["created"])) if created else None,
        ),
    )


@routes.get("/v1/events/{id}")
def get_event(request: Request) -> StripeObject:
    return request.fake.store.require(request.args["id"], "event")
