"""Stripe's own example objects for the current API version (from its OpenAPI fixtures, MIT licensed).

They are the reference shapes: the factories start from them and the fake Stripe's objects are held
against them.
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


def stripe_fixture(object_name: str) -> dict[str, Any]:
    """A fresh copy of Stripe's example object, e.g. `stripe_fixture("subscription")`."""
    return copy.deepcopy(_fixtures()[object_name])


def fixture_names() -> list[str]:
    return sorted(_fixtures())
