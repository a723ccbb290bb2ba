"""One Stripe customer per billable (a user, a team: STRIPE_BILLABLE_MODEL), created on first need, safely under
concurrent requests."""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

import stripe
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.module_loading import import_string

from .. import signals
from ..billables import billable_label, customer_id_of, unwrapped
from ..client import get_client
from ..conf import stripe_settings
from ..exceptions import StripeCustomerMissing, StripeNotConfigured
from ..models import Customer, PaymentMethod
from ..references import CHECKOUT_BILLABLE_KEY
from . import params
from .mirror import find_owned_row, mirror_stripe_object
from .params import forward_only

logger = logging.getLogger(__name__)

# The fields a customer's email and name are made from (a user's; a team's `email` and `name`).
DETAIL_FIELDS = frozenset({"email", "first_name", "last_name", "username", "name"})


def create_customer(billable: Any, **kwargs: Any) -> Any:
    """Create the billable's Stripe customer if it has none, save its id on the billable and return it.

    `billable` is a row of STRIPE_BILLABLE_MODEL (a user, unchanged, by default; a user still works where the
    user model holds a customer too). Its row is locked while the customer is created and the request carries
    an idempotency key, so concurrent first requests create exactly one customer. The new_customer signal is
    sent, with `user=` and `billable=` both the billable.
    """
    billable = unwrapped(billable)
    if billable is None or billable.pk is None or not getattr(billable, "is_authenticated", True):
        raise StripeCustomerMissing("A Stripe customer can only be created for a logged-in user or a saved billable.")
    forward_only("create_customer", kwargs, params.NEW_CUSTOMER)
    if billable.stripe_customer_id:
        return billable
    model = billable._meta.model
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=billable.pk)
        if locked.stripe_customer_id:
            billable.stripe_customer_id = locked.stripe_customer_id
            return billable
        customer = get_client().v1.customers.create(
            params=customer_params(billable, **kwargs), options={"idempotency_key": _idempotency_key(billable)}
        )
        mirror_stripe_object(customer)
        billable.stripe_customer_id = customer.id
        _save_customer_id(billable)
    signals.new_customer.send(sender=model, user=billable, billable=billable, customer=customer)
    return billable


def customer_params(billable: Any, **kwargs: Any) -> dict[str, Any]:
    """What a new customer is created with: the billable's details (`customer_details`), its metadata (a user's
    id as `user_id`, any other billable's `billable_label` as `django_stripe_billable`),
    STRIPE_NEW_CUSTOMER_GET_KWARGS, then `kwargs`."""
    params: dict[str, Any] = {**customer_details(billable), "metadata": _customer_metadata(billable)}
    extra = stripe_settings.STRIPE_NEW_CUSTOMER_GET_KWARGS
    if extra:
        extra = import_string(extra) if isinstance(extra, str) else extra
        params.update(extra(billable, **kwargs) or {})
    params.update(kwargs)
    return {key: value for key, value in params.items() if value is not None}


def customer_details(billable: Any) -> dict[str, Any]:
    """Stripe's customer parameters a billable's customer is made with (`email`, `name`, ...): its
    `stripe_customer_details()` when its model defines one, else its `email` and `name` attributes, with
    `str()` as the name when it has none; a user's are their email and full name (else username), as always."""
    if _is_user(billable):
        return {"email": _email(billable), "name": _name(billable)}
    details = getattr(billable, "stripe_customer_details", None)
    if callable(details):
        return dict(details() or {})
    name = getattr(billable, "name", None) or str(billable)
    return {"email": getattr(billable, "email", None) or None, "name": name or None}


def modify_customer(billable: Any, **kwargs: Any) -> stripe.Customer:
    """Update the user's Stripe customer with `kwargs`, Stripe's parameters among `params.CUSTOMER` (anything
    else, such as `balance` or `coupon`, is a TypeError); an `invoice_settings.default_payment_method` must be
    the user's own. customer_modified is sent, with `user=` and `billable=` both the billable."""
    customer_id = require_customer_id(billable)
    check_customer_params(billable, kwargs)
    customer = get_client().v1.customers.update(customer_id, params=kwargs)
    mirror_stripe_object(customer)
    signals.customer_modified.send(sender=billable.__class__, user=billable, billable=billable, customer=customer)
    return customer


def check_customer_params(billable: Any, kwargs: dict[str, Any]) -> None:
    forward_only("modify_customer", kwargs, params.CUSTOMER)
    invoice_settings = kwargs.get("invoice_settings") or {}
    forward_only("modify_customer() invoice_settings", invoice_settings, params.CUSTOMER_INVOICE_SETTINGS)
    if invoice_settings.get("default_payment_method"):
        find_owned_row(billable, PaymentMethod, invoice_settings["default_payment_method"])


def add_stripe_customer_if_not_existing(function):
    """Decorator for functions taking a billable (a user, a team) first: gives it a Stripe customer before the
    call."""

    @wraps(function)
    def wrapper(billable: Any, *args: Any, **kwargs: Any):
        return function(create_customer(billable), *args, **kwargs)

    return wrapper


def refuse_owner_override(params: dict[str, Any], *names: str) -> None:
    """The parameters that say whose object it is come from the user, never from the caller: a `customer`
    passed in would act on another customer's account."""
    given = sorted(set(params) & set(names))
    if given:
        raise TypeError(f"{', '.join(given)} cannot be given: it is always the user's own")


def require_customer_id(billable: Any) -> str:
    customer_id = customer_id_of(billable)
    if not customer_id:
        raise StripeCustomerMissing("This billable has no Stripe customer yet.")
    return customer_id


def sync_customer_details(sender, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """post_save receiver of the billable model (a user, a team): when its email or name no longer matches
    its customer's, update Stripe.

    New rows are left alone (their customer is created from them), and a Stripe outage never breaks the
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
    details = customer_details(instance)
    wanted = {"email": details.get("email") or None, "name": details.get("name") or None}
    held = Customer.objects.filter(id=customer_id).values("email", "name").first()
    if held is not None and held != wanted:
        transaction.on_commit(lambda: _push_details(instance, wanted))


def _push_details(billable: Any, details: dict[str, Any]) -> None:
    try:
        modify_customer(billable, **{name: value or "" for name, value in details.items()})
    except (stripe.StripeError, StripeNotConfigured) as error:
        logger.warning("Could not update Stripe customer %s: %s", billable.stripe_customer_id, type(error).__name__)


def _email(user: Any) -> str | None:
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return getattr(user, field, None) or None


def _name(user: Any) -> str | None:
    return (user.get_full_name() if hasattr(user, "get_full_name") else "") or user.get_username() or None


def _idempotency_key(billable: Any) -> str:
    """The user model's key as it always was (a retry after an upgrade still finds its customer); any other
    model's names the model, so a team and a user of the same pk never share one."""
    joined = _joined(billable)
    if _is_user(billable):
        return f"django-stripe-customer-{billable.pk}-{joined}"
    return f"django-stripe-customer-{billable._meta.label_lower}-{billable.pk}-{joined}"


def _customer_metadata(billable: Any) -> dict[str, str]:
    if _is_user(billable):
        return {"user_id": str(billable.pk)}
    return {CHECKOUT_BILLABLE_KEY: billable_label(billable)}


def _is_user(obj: Any) -> bool:
    return obj._meta.label_lower == get_user_model()._meta.label_lower


def _joined(billable: Any) -> str:
    joined = getattr(billable, "date_joined", None)
    return str(int(joined.timestamp())) if joined else "0"


def _save_customer_id(billable: Any) -> None:
    concrete = {field.attname for field in billable._meta.concrete_fields}
    billable.save(update_fields=["stripe_customer_id"] if "stripe_customer_id" in concrete else None)
