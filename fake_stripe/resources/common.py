"""Small helpers the resource modules share: field updates, snapshots, and the fake's own URLs. (An object's
update event is its resource's: `fake_stripe.resource.changing` / `updated`.)"""

from __future__ import annotations

import copy

from ..params import Params
from ..protocol import Fake
from ..store import StripeObject


def snapshot(obj: StripeObject) -> StripeObject:
    """A copy to compare with later (`resource.updated(fake, obj, before)`, when the change spans functions)."""
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
