"""What the browser's Stripe.js talks to: the stand-in script served at `/v3/`, and the few API calls a
publishable key may make (confirm or read a SetupIntent with its client secret, create a PaymentMethod).

Stripe.js sends the publishable key as a `key` form parameter (or a Bearer header) and the intent's
`client_secret`; everything else needs a secret key, as at Stripe.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StripeError, resource_missing

if TYPE_CHECKING:
    from .protocol import Fake

JAVASCRIPT = {"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-cache"}
SCRIPT_PATHS = frozenset({"/v3", "/v3/", "/v3/stripe.js"})
SETUP_INTENT = re.compile(r"^/v1/setup_intents/(?P<id>[^/]+)(?P<confirm>/confirm)?$")


@cache
def script() -> str:
    return (Path(__file__).with_name("stripe_js.js")).read_text()


def check_publishable(fake: Fake, method: str, path: str, params: dict[str, Any]) -> None:
    """Refuse what a publishable key may not do; a SetupIntent also needs its client secret."""
    if method == "POST" and path == "/v1/payment_methods":
        return
    found = SETUP_INTENT.match(path)
    if found and (method == "POST") == bool(found["confirm"]):
        setup_intent = fake.get(found["id"])
        secret = params.get("client_secret")
        if setup_intent is None or not secret or setup_intent.get("client_secret") != secret:
            raise resource_missing("setupintent", found["id"], "intent")
        return
    raise StripeError(
        401,
        "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
        "list of your API keys at https://dashboard.stripe.com/account/apikeys.",
    )
