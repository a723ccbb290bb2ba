"""The Events API: `/v1/events` (newest first; `type` with a `*` wildcard, `types[]`, `created`) and retrieve."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..lists import Check
from ..params import Params, as_str
from ..resource import Resource, among, created_between


def _type_matches(params: Params) -> Check | None:
    """`type=customer.subscription.*`: the event types matching the pattern."""
    pattern = as_str(params, "type")
    return (lambda event: fnmatchcase(event["type"], pattern)) if pattern else None


events = Resource("event", "/v1/events", filters=(_type_matches, among("types", "type"), created_between()))
