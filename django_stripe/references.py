"""How a Checkout Session names the user who started it, so the webhook can link its customer to that user.

Written by django_stripe.payments (the marker in the metadata of the sessions it creates, the signed
`checkout_reference` a project puts in a Payment Link) and read by webhooks/linking.py, which says why
nothing weaker is trusted.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

CHECKOUT_USER_KEY = "django_stripe_user"
"""The metadata key of a Checkout Session that holds the pk of the user it was created for."""

# Named after the module it was first written in: changing it would void every reference handed out.
REFERENCE_SALT = "django_stripe.webhooks.linking.checkout_reference"
# Stripe allows only letters, digits, "-" and "_" in a client_reference_id, 200 at most: the signature is
# appended after the last "_" (a hex digest has none, so a pk holding "_" parses back whole).
REFERENCE_SEPARATOR = "_"
STRIPE_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,200}")


def checkout_reference(user: Any) -> str:
    """A `client_reference_id` proving that `user` started the checkout: their pk and a signature only this
    server can make. Put it in the Payment Link URL (`?client_reference_id=...`) or the pricing table's
    `client-reference-id` attribute shown to the logged-in user; the completed checkout then links them.

    ValueError when the pk cannot make one that Stripe accepts (a character other than letters, digits,
    "-" and "_", or over 135 characters)."""
    pk = str(user.pk)
    reference = f"{pk}{REFERENCE_SEPARATOR}{_signature(pk, settings.SECRET_KEY)}"
    if not STRIPE_REFERENCE.fullmatch(reference):
        raise ValueError(f"The pk of {user!r} cannot be put in a Stripe client_reference_id.")
    return reference


def signed_user_pk(reference: str) -> str | None:
    """The pk a `checkout_reference` names, or None when `reference` is not one (a plain pk, a forgery)."""
    pk, separator, signature = reference.rpartition(REFERENCE_SEPARATOR)
    if not (pk and separator):
        return None
    # The fallbacks keep the references already handed out valid while SECRET_KEY is being rotated.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return pk if any(constant_time_compare(signature, _signature(pk, secret)) for secret in secrets) else None


def _signature(pk: str, secret: str) -> str:
    return salted_hmac(REFERENCE_SALT, pk, secret=secret, algorithm="sha256").hexdigest()
