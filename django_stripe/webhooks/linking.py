"""Linking the customer of a completed Checkout Session to a billable of the project: a row of
STRIPE_BILLABLE_MODEL, a user by default (a team, ...). What is said of a user below holds for any billable,
except the email fallback, which is a user's alone.

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
from django.db.models import Exists, Model, Q
from django.utils.module_loading import import_string

from ..billables import billable_model
from ..conf import stripe_settings
from ..models import Customer
from ..references import CHECKOUT_BILLABLE_KEY, CHECKOUT_USER_KEY, is_user_model, signed_pk
from ..sync.mappers import Payload, ref_id

logger = logging.getLogger(__name__)


def link_checkout_customer(session: Payload) -> bool:
    """Link the session's customer to the billable (a row of STRIPE_BILLABLE_MODEL: a user by default)
    `client_reference_id` names, if it is proven to have started the checkout (see the module docstring).
    Returns whether it linked."""
    customer_id = ref_id(session.get("customer"))
    reference = session.get("client_reference_id")
    if not (customer_id and isinstance(reference, str) and reference):
        return False
    model = billable_model()
    if not has_customer_column(model):
        return False
    signed = signed_pk(model, reference)
    pk = billable_pk(model, reference if signed is None else signed)
    if pk is None:
        return False  # not a pk of ours: nothing to link
    vouched = has_our_marker(session, reference, model) or (is_user_model(model) and has_verified_email(session, pk))
    if signed is None and not vouched:
        logger.warning(
            "Checkout Session %s names %s %s but was not created for it by this app, carries no signed "
            "reference, and its customer's email is not a verified user's: customer %s not linked",
            session.get("id"),
            model._meta.label_lower,
            reference,
            customer_id,
        )
        return False
    linked = link_customer_to_billable(pk, customer_id)
    if not linked:
        logger.info(
            "Checkout Session %s: %s %s already has a customer, or customer %s is held by another: not linked",
            session.get("id"),
            model._meta.label_lower,
            pk,
            customer_id,
        )
    return linked


def has_customer_column(model: type[Model]) -> bool:
    try:
        model._meta.get_field("stripe_customer_id")
    except FieldDoesNotExist:
        logger.warning("%s has no stripe_customer_id column: checkout not linked", model.__name__)
        return False
    return True


def billable_pk(model: type[Model], value: str) -> Any | None:
    """`value` as a pk of `model` (the billable model), or None when it cannot be one."""
    try:
        return model._meta.pk.to_python(value)
    except ValidationError:
        return None


def has_our_marker(session: Payload, reference: str, model: type[Model] | None = None) -> bool:
    """Whether `create_checkout` made this session for the row of `model` (default: the user model) it names:
    a user's pk under CHECKOUT_USER_KEY, any other model's `app_label.model:pk` under CHECKOUT_BILLABLE_KEY."""
    metadata = session.get("metadata") or {}
    if model is None or is_user_model(model):
        return metadata.get(CHECKOUT_USER_KEY) == str(reference)
    return metadata.get(CHECKOUT_BILLABLE_KEY) == f"{model._meta.label_lower}:{reference}"


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


def link_customer_to_billable(pk: Any, customer_id: str) -> bool:
    """Set the `stripe_customer_id` of the billable of pk `pk` (a row of STRIPE_BILLABLE_MODEL) unless it
    already has one, or another billable holds this customer (or a user does, where the user model keeps a
    customer column of its own beside the billable model's: a project half-way through moving its customers).

    One conditional UPDATE, so two deliveries racing cannot link twice. Returns whether it linked.
    """
    model = billable_model()
    held = ~Exists(model._default_manager.filter(stripe_customer_id=customer_id))
    user_model = get_user_model()
    if not is_user_model(model) and _has_column(user_model):
        held &= ~Exists(user_model._default_manager.filter(stripe_customer_id=customer_id))
    linked = (
        model._default_manager.filter(Q(stripe_customer_id__isnull=True) | Q(stripe_customer_id=""), pk=pk)
        .filter(held)
        .update(stripe_customer_id=customer_id)
    )
    return linked == 1


link_customer_to_user = link_customer_to_billable
"""The old name of `link_customer_to_billable` (the billable is the user by default), kept."""


def _has_column(model: type[Model]) -> bool:
    return any(field.name == "stripe_customer_id" for field in model._meta.concrete_fields)
