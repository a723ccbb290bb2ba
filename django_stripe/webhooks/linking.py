"""Linking the customer of a completed Checkout Session to a user of the project.

`client_reference_id` alone proves nothing: Payment Links and pricing tables let whoever builds the URL set
it. Trusting it would let an attacker send someone a Payment Link naming the attacker's own user, and take
over the customer (card, subscription, invoices) the victim pays with; or bind a customer paid with a stolen
card to a victim who has none yet (so that no customer of the victim's own is ever created). So the customer
is linked to the user in `client_reference_id` only when that user is proven to have started the checkout:

* the session was made by `django_stripe.payments.create_checkout`: its metadata holds the user's pk under
  `CHECKOUT_USER_KEY`, which only a holder of the secret key can set; or
* `client_reference_id` is a signed reference, made by `checkout_reference(user)` for the logged-in user and
  put in the Payment Link URL or the pricing table by the project: only this server (its SECRET_KEY) can
  make one; or
* the project says the user's email address is verified (`STRIPE_VERIFIED_EMAIL`) and the session's
  customer has that address (compared case-insensitively). Never by email otherwise: where anyone can
  register any address, an address proves nothing.

And even then never a user who already has a customer, nor a customer another user holds. Anything else is
logged and left unlinked; the rest of the event is still applied.

Remaining risk. The email fallback still trusts an address the buyer types: someone who knows a verified
user's pk and address can bind a customer they pay for to that user, if the user has no customer yet. That
customer carries the user's own address, so Stripe's receipts and its customer-portal login go to the user,
not to the buyer: the buyer gains nothing of the user's, but the user may find a customer (and a card) they
did not create. A signed reference is a bearer token for its user, valid until SECRET_KEY changes: show it
to that user only (never in a page another user or a cache can see).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Exists, Q
from django.utils.module_loading import import_string

from ..conf import stripe_settings
from ..models import Customer
from ..references import CHECKOUT_USER_KEY, signed_user_pk
from ..sync.mappers import Payload, ref_id

logger = logging.getLogger(__name__)


def link_checkout_customer(session: Payload) -> bool:
    """Link the session's customer to the user `client_reference_id` names, if that user is proven to have
    started the checkout (see the module docstring). Returns whether it linked."""
    customer_id = ref_id(session.get("customer"))
    reference = session.get("client_reference_id")
    if not (customer_id and isinstance(reference, str) and reference):
        return False
    user_model = get_user_model()
    if not has_customer_column(user_model):
        return False
    signed_pk = signed_user_pk(reference)
    pk = user_pk(user_model, reference if signed_pk is None else signed_pk)
    if pk is None:
        return False  # not a user id of ours: nothing to link
    if signed_pk is None and not (has_our_marker(session, reference) or has_verified_email(session, pk)):
        logger.warning(
            "Checkout Session %s names user %s but was not created for them by this app, carries no signed "
            "reference, and its customer's email is not their verified one: customer %s not linked",
            session.get("id"),
            reference,
            customer_id,
        )
        return False
    linked = link_customer_to_user(pk, customer_id)
    if not linked:
        logger.info(
            "Checkout Session %s: user %s already has a customer, or customer %s is another user's: not linked",
            session.get("id"),
            pk,
            customer_id,
        )
    return linked


def has_customer_column(user_model: type) -> bool:
    try:
        user_model._meta.get_field("stripe_customer_id")
    except FieldDoesNotExist:
        logger.warning("%s has no stripe_customer_id column: checkout not linked", user_model.__name__)
        return False
    return True


def user_pk(user_model: type, value: str) -> Any | None:
    """`value` as a pk of the user model, or None when it cannot be one."""
    try:
        return user_model._meta.pk.to_python(value)
    except ValidationError:
        return None


def has_our_marker(session: Payload, reference: str) -> bool:
    """Whether `create_checkout` made this session for the user it names."""
    return (session.get("metadata") or {}).get(CHECKOUT_USER_KEY) == str(reference)


def has_verified_email(session: Payload, user_pk: Any) -> bool:
    """Whether the customer's email, at checkout or as mirrored, is the user's, and the project says that
    the user's address is verified (STRIPE_VERIFIED_EMAIL). False when the project says nothing."""
    is_verified = verified_email_check()
    if is_verified is None:
        return False
    user = get_user_model().objects.filter(pk=user_pk).first()
    if user is None:
        return False
    wanted = _normalized(getattr(user, user.get_email_field_name(), None))
    has_email = bool(wanted) and wanted in {_normalized(email) for email in session_emails(session)}
    return has_email and bool(is_verified(user))


def verified_email_check() -> Callable[[Any], bool] | None:
    """STRIPE_VERIFIED_EMAIL as a callable (it may be given as a dotted path), or None when unset."""
    check = stripe_settings.STRIPE_VERIFIED_EMAIL
    if not check:
        return None
    return import_string(check) if isinstance(check, str) else check


def session_emails(session: Payload) -> list[str | None]:
    """The customer's email as the session shows it (`customer_details`, an expanded customer), else as
    mirrored; never fetched from Stripe."""
    emails = [(session.get("customer_details") or {}).get("email")]
    customer = session.get("customer")
    if isinstance(customer, dict):
        emails.append(customer.get("email"))
    elif customer:
        emails.append(Customer.objects.filter(pk=customer).values_list("email", flat=True).first())
    return emails


def _normalized(email: str | None) -> str:
    return (email or "").strip().casefold()


def link_customer_to_user(user_pk: Any, customer_id: str) -> bool:
    """Set the user's `stripe_customer_id` unless they already have one or another user holds this one.

    One conditional UPDATE, so two deliveries racing cannot link twice. Returns whether it linked.
    """
    user_model = get_user_model()
    taken = user_model.objects.filter(stripe_customer_id=customer_id)
    linked = (
        user_model.objects.filter(Q(stripe_customer_id__isnull=True) | Q(stripe_customer_id=""), pk=user_pk)
        .filter(~Exists(taken))
        .update(stripe_customer_id=customer_id)
    )
    return linked == 1
