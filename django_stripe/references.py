"""How a Checkout Session names the billable (a user, a team) it was started for, so the webhook can link its
customer to that billable.

Written by django_stripe.payments (the marker in the metadata of the sessions it creates, the signed
`checkout_reference` a project puts in a Payment Link) and read by webhooks/linking.py, which says why
nothing weaker is trusted.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils.crypto import constant_time_compare, salted_hmac

CHECKOUT_USER_KEY = "django_stripe_user"
"""The metadata key of a Checkout Session that holds the pk of the user it was created for."""
CHECKOUT_BILLABLE_KEY = "django_stripe_billable"
"""The metadata key of a Checkout Session (and of a customer) that names the billable of a model other than the
user model it was created for, as `app_label.model:pk`."""

# Named after the module it was first written in: changing it would void every reference handed out.
REFERENCE_SALT = "django_stripe.webhooks.linking.checkout_reference"
# Stripe allows only letters, digits, "-" and "_" in a client_reference_id, 200 at most: the signature is
# appended after the last "_" (a hex digest has none, so a pk holding "_" parses back whole).
REFERENCE_SEPARATOR = "_"
STRIPE_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,200}")


def checkout_marker(billable: Any) -> dict[str, str]:
    """The metadata `create_checkout` marks a session with: the user's pk under CHECKOUT_USER_KEY (as always),
    any other billable's `app_label.model:pk` under CHECKOUT_BILLABLE_KEY."""
    if is_user_model(billable._meta.model):
        return {CHECKOUT_USER_KEY: str(billable.pk)}
    return {CHECKOUT_BILLABLE_KEY: f"{billable._meta.label_lower}:{billable.pk}"}


def is_user_model(model: type[Model]) -> bool:
    """Whether `model` is AUTH_USER_MODEL (compared by label: a swapped model and its proxy are not)."""
    return model._meta.label_lower == settings.AUTH_USER_MODEL.lower()


def checkout_reference(billable: Any) -> str:
    """A `client_reference_id` proving that `billable` (a user; a team when it is the billable) started the
    checkout: its pk and a signature only this server can make, for its model alone (a reference made for a
    team is no user's, nor any other model's). Put it in the Payment Link URL (`?client_reference_id=...`) or
    the pricing table's `client-reference-id` attribute shown to the logged-in user acting for it; the completed
    checkout then links it. A user's references are what they always were: those handed out stay valid.

    ValueError when the pk cannot make one that Stripe accepts (a character other than letters, digits,
    "-" and "_", or over 135 characters)."""
    pk = str(billable.pk)
    reference = f"{pk}{REFERENCE_SEPARATOR}{_signature(_salt(billable._meta.model), pk, settings.SECRET_KEY)}"
    if not STRIPE_REFERENCE.fullmatch(reference):
        raise ValueError(f"The pk of {billable!r} cannot be put in a Stripe client_reference_id.")
    return reference


def signed_pk(model: type[Model], reference: str) -> str | None:
    """The pk of a row of `model` a `checkout_reference` names, or None when `reference` is not one made for
    that model (a plain pk, a forgery, one of another model)."""
    return _signed(_salt(model), reference)


def signed_user_pk(reference: str) -> str | None:
    """The pk a user's `checkout_reference` names, or None when `reference` is not one (a plain pk, a forgery)."""
    return _signed(REFERENCE_SALT, reference)


def _signed(salt: str, reference: str) -> str | None:
    pk, separator, signature = reference.rpartition(REFERENCE_SEPARATOR)
    if not (pk and separator):
        return None
    # The fallbacks keep the references already handed out valid while SECRET_KEY is being rotated.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return pk if any(constant_time_compare(signature, _signature(salt, pk, secret)) for secret in secrets) else None


def _salt(model: type[Model]) -> str:
    """The user model's salt as it always was; any other model's names the model."""
    return REFERENCE_SALT if is_user_model(model) else f"{REFERENCE_SALT}:{model._meta.label_lower}"


def _signature(salt: str, pk: str, secret: str) -> str:
    return salted_hmac(salt, pk, secret=secret, algorithm="sha256").hexdigest()
