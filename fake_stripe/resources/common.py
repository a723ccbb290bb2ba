"""Small helpers the resource modules share: field updates, `previous_attributes`, and the fake's own URLs."""

from __future__ import annotations

import copy

from ..params import Params
from ..protocol import Fake
from ..resource import diff
from ..store import StripeObject


def emit_update(fake: Fake, event_type: str, obj: StripeObject, before: StripeObject) -> None:
    """Emit `event_type` with `previous_attributes` if `obj` changed since the `before` snapshot."""
    previous = diff(before, obj)
    if previous:
        fake.emit(event_type, obj, previous)


def snapshot(obj: StripeObject) -> StripeObject:
    return copy.deepcopy(obj)


def set_fields(obj: StripeObject, params: Params, names: tuple[str, ...]) -> None:
    """Copy plain string fields from the params; an empty string unsets (null), as in Stripe."""
    for name in names:
        if name in params:
            value = params[name]
            obj[name] = None if value == "" else value


def base_url(fake: Fake, default: str) -> str:
    """Where a hosted page lives: on the fake when it is served over HTTP (so offline demos keep working), else
    Stripe's own host `default` (in-process, nothing would answer a link to the fake)."""
    return fake.public_url.rstrip("/") if fake.public_url else default
