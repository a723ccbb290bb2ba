"""Linking the customer of a completed Checkout Session to a user of the project.

`client_reference_id` alone proves nothing: Payment Links and pricing tables let the buyer set it, so
trusting it would let anyone attach their customer (and what it pays for, or owes) to a user who has
none. The link is made only when the app vouches for the session:

* sessions made by `django_stripe.payments.create_checkout` carry the user's pk in their metadata
  (`CHECKOUT_USER_KEY`), which only a holder of the secret key can set; or
* the session's customer has the user's email address (compared case-insensitively). A buyer can type
  anyone's address, but then the customer carries the user's own address: Stripe's receipts and its
  customer-portal login go to the user, not to the buyer, so nothing of the user's reaches the buyer.

Anything else is logged and left unlinked.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Exists, Q

from ..models import Customer
from ..sync.mappers import Payload, ref_id

logger = logging.getLogger(__name__)

CHECKOUT_USER_KEY = "django_stripe_user"
"""The metadata key of a Checkout Session that holds the pk of the user it was created for."""


def link_checkout_customer(session: Payload) -> bool:
    """Link the session's customer to the user in `client_reference_id`, if the session is vouched for."""
    customer_id = ref_id(session.get("customer"))
    reference = session.get("client_reference_id")
    if not (customer_id and reference):
        return False
    user_model = get_user_model()
    try:
        user_model._meta.get_field("stripe_customer_id")
        pk = user_model._meta.pk.to_python(reference)
    except FieldDoesNotExist:
        logger.warning("%s has no stripe_customer_id column: checkout not linked", user_model.__name__)
        return False
    except ValidationError:
        return False  # not a user id of ours: nothing to link
    if not (has_our_marker(session, reference) or has_users_email(session, pk)):
        logger.warning(
            "Checkout Session %s names user %s but was not created for them by this app and its customer's "
            "email is not theirs: customer %s not linked",
            session.get("id"),
            reference,
            customer_id,
        )
        return False
    return link_customer_to_user(pk, customer_id)


def has_our_marker(session: Payload, reference: str) -> bool:
    """Whether `create_checkout` made this session for the user it names."""
    return (session.get("metadata") or {}).get(CHECKOUT_USER_KEY) == str(reference)


def has_users_email(session: Payload, user_pk: Any) -> bool:
    """Whether the email the customer gave at checkout, or the customer's own, is the user's."""
    user_model = get_user_model()
    user_email = user_model.objects.filter(pk=user_pk).values_list(user_model.get_email_field_name(), flat=True)
    wanted = _normalized(user_email.first())
    return bool(wanted) and wanted in {_normalized(email) for email in session_emails(session)}


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
