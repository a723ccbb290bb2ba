"""Objects in Stripe's current shape: each starts from Stripe's own example object (its fixture), so the keys
are exactly Stripe's, and the fake sets the values it knows."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from .fixtures import stripe_fixture


@cache
def _blank(fixture_name: str) -> dict[str, Any]:
    return stripe_fixture(fixture_name)


def build(fixture_name: str, **fields: Any) -> dict[str, Any]:
    """Stripe's fixture for `fixture_name` with `fields` set; a field Stripe's object lacks is a bug here."""
    obj = copy.deepcopy(_blank(fixture_name))
    unknown = set(fields) - set(obj)
    if unknown:
        raise KeyError(f"{fixture_name} has no {sorted(unknown)} in Stripe's fixture")
    obj.update(fields)
    return obj


def deleted(obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": obj["id"], "object": obj["object"], "deleted": True}
