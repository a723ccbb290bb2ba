"""Stripe's own example objects for the current API version (from its OpenAPI fixtures, MIT licensed).

They are the reference shapes: the factories start from them and the fake Stripe's objects are held
against them. The bundled file is Stripe's as it is; `stripe_fixture` leaves out the keys that Stripe's file
still carries but that the API version the package speaks (stripe-python 16's, 2026-10-28) no longer sends.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _fixtures() -> dict[str, dict[str, Any]]:
    return json.loads((Path(__file__).parent / "stripe_fixtures.json").read_text())


REMOVED_KEYS: dict[str, frozenset[str]] = {
    # Since 2025-03-31 an invoice names its subscription under parent.subscription_details only (the SDK's
    # Invoice has no `subscription` any more); code that read the old key would pass here and break at Stripe.
    "invoice": frozenset({"subscription"}),
}
"""Keys of Stripe's fixture file that the current API version's objects do not have, by object name."""


def stripe_fixture(object_name: str) -> dict[str, Any]:
    """A fresh copy of Stripe's example object in the current API version, e.g. `stripe_fixture("subscription")`."""
    removed = REMOVED_KEYS.get(object_name, frozenset())
    return {key: copy.deepcopy(value) for key, value in _fixtures()[object_name].items() if key not in removed}


def bundled_fixture(object_name: str) -> dict[str, Any]:
    """Stripe's example object as the bundled file has it (REMOVED_KEYS included)."""
    return copy.deepcopy(_fixtures()[object_name])


def fixture_names() -> list[str]:
    return sorted(_fixtures())
