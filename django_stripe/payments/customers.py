"""One Stripe customer per user, created on first need, safely under concurrent requests."""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

import stripe
from django.db import transaction
from django.utils.module_loading import import_string

from .. import signals
from ..client import get_client
from ..conf import stripe_settings
from ..exceptions import StripeCustomerMissing, StripeNotConfigured
from ..models import Customer, PaymentMethod
from . import params
from .mirror import find_owned_row, mirror_stripe_object
from .params import forward_only

logger = logging.getLogger(__name__)

# The user fields a customer's email and name are made from.
DETAIL_FIELDS = frozenset({"email", "first_name", "last_name", "username"})


def create_customer(user: Any, **kwargs: Any) -> Any:
    """Create the user's Stripe customer if they have none, save its id on the user and return the user.

    The user row is locked while the customer is created and the request carries an idempotency key, so
    concurrent first requests of one user create exactly one customer. The new_customer signal is sent.
    """
    if not getattr(user, "is_authenticated", False):
        raise StripeCustomerMissing("A Stripe customer can only be created for a logged-in user.")
    forward_only("create_customer", kwargs, params.NEW_CUSTOMER)
    if user.stripe_customer_id:
        return user
    model = user._meta.model  # not type(user): request.user is a lazy proxy around the instance
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=user.pk)
        if locked.stripe_customer_id:
            user.stripe_customer_id = locked.stripe_customer_id
            return user
        customer = get_client().v1.customers.create(
            params=customer_params(user, **kwargs),
            options={"idempotency_key": f"django-stripe-customer-{user.pk}-{_joined(user)}"},
        )
        mirror_stripe_object(customer)
        user.stripe_customer_id = customer.id
        _save_customer_id(user)
    signals.new_customer.send(sender=model, user=user, customer=customer)
    return user


def customer_params(user: Any, **kwargs: Any) -> dict[str, Any]:
    """What a new customer is created with: the user's email, name and id, STRIPE_NEW_CUSTOMER_GET_KWARGS,
    then `kwargs`."""
    params: dict[str, Any] = {"email": _email(user), "name": _name(user), "metadata": {"user_id": str(user.pk)}}
    extra = stripe_settings.STRIPE_NEW_CUSTOMER_GET_KWARGS
    if extra:
        extra = import_string(extra) if isinstance(extra, str) else extra
        params.update(extra(user, **kwargs) or {})
    params.update(kwargs)
    return {key: value for key, value in params.items() if value is not None}


def modify_customer(user: Any, **kwargs: Any) -> stripe.Customer:
    """Update the user's Stripe customer with `kwargs`, Stripe's parameters among `params.CUSTOMER` (anything
    else, such as `balance` or `coupon`, is a TypeError); an `invoice_settings.default_payment_method` must be
    the user's own. customer_modified is sent."""
    customer_id = require_customer_id(user)
    check_customer_params(user, kwargs)
    customer = get_client().v1.customers.update(customer_id, params=kwargs)
    mirror_stripe_object(customer)
    signals.customer_modified.send(sender=user.__class__, user=user, customer=customer)
    return customer


def check_customer_params(user: Any, kwargs: dict[str, Any]) -> None:
    forward_only("modify_customer", kwargs, params.CUSTOMER)
    invoice_settings = kwargs.get("invoice_settings") or {}
    forward_only("modify_customer() invoice_settings", invoice_settings, params.CUSTOMER_INVOICE_SETTINGS)
    if invoice_settings.get("default_payment_method"):
        find_owned_row(user, PaymentMethod, invoice_settings["default_payment_method"])


def add_stripe_customer_if_not_existing(function):
    """Decorator for functions taking a user first: gives the user a Stripe customer before the call."""

    @wraps(function)
    def wrapper(user: Any, *args: Any, **kwargs: Any):
        return function(create_customer(user), *args, **kwargs)

    return wrapper


def refuse_owner_override(params: dict[str, Any], *names: str) -> None:
    """The parameters that say whose object it is come from the user, never from the caller: a `customer`
    passed in would act on another customer's account."""
    given = sorted(set(params) & set(names))
    if given:
        raise TypeError(f"{', '.join(given)} cannot be given: it is always the user's own")


def require_customer_id(user: Any) -> str:
    customer_id = getattr(user, "stripe_customer_id", None) if getattr(user, "is_authenticated", False) else None
    if not customer_id:
        raise StripeCustomerMissing("This user has no Stripe customer yet.")
    return customer_id


def sync_customer_details(sender, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """post_save receiver: when a user's email or name no longer matches their customer, update Stripe.

    New users are left alone (their customer is created from them), and a Stripe outage never breaks the
    save: the push is logged and the next save tries again.
    """
    if created or kwargs.get("raw") or not stripe_settings.STRIPE_KEEP_CUSTOMER_DETAILS_UPDATED:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not DETAIL_FIELDS & set(update_fields):
        return  # e.g. the `last_login` save of every login: no query, no call
    customer_id = getattr(instance, "stripe_customer_id", None)
    if not customer_id:
        return
    wanted = {"email": _email(instance), "name": _name(instance)}
    held = Customer.objects.filter(id=customer_id).values("email", "name").first()
    if held is not None and held != wanted:
        transaction.on_commit(lambda: _push_details(instance, wanted))


def _push_details(user: Any, details: dict[str, Any]) -> None:
    try:
        modify_customer(user, **{name: value or "" for name, value in details.items()})
    except (stripe.StripeError, StripeNotConfigured) as error:
        logger.warning("Could not update Stripe customer %s: %s", user.stripe_customer_id, type(error).__name__)


def _email(user: Any) -> str | None:
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return getattr(user, field, None) or None


def _name(user: Any) -> str | None:
    return (user.get_full_name() if hasattr(user, "get_full_name") else "") or user.get_username() or None


def _joined(user: Any) -> str:
    joined = getattr(user, "date_joined", None)
    return str(int(joined.timestamp())) if joined else "0"


def _save_customer_id(user: Any) -> None:
    concrete = {field.attname for field in user._meta.concrete_fields}
    user.save(update_fields=["stripe_customer_id"] if "stripe_customer_id" in concrete else None)
