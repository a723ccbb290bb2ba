"""What pays: the billable, a row of STRIPE_BILLABLE_MODEL (the user model unless the project says otherwise)
that holds a Stripe customer id in its `stripe_customer_id` column; and who may act for it.

A request acts for one billable (`billable_for_request`, STRIPE_BILLABLE_FOR_REQUEST) and its user has a role
there (`billing_role`, STRIPE_BILLING_ROLE): MANAGE (every read and write), READ (reads only) or None (not
theirs: every object of it answers as a missing one). By default the billable is the logged-in user, who
manages their own billing, so a project on the user model configures nothing.

A user's own access (`is_subscribed(user)`) also comes through the billables the user belongs to:
STRIPE_BILLABLE_MEMBERS is the lookup from the billable model to the user model (`"members"`,
`"memberships__user"`), which the access check follows in its one query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.utils.functional import SimpleLazyObject, empty
from django.utils.module_loading import import_string

from .conf import stripe_settings

MANAGE: Literal["manage"] = "manage"
"""The role that may read and change a billable's billing: subscribe, cancel, change cards, open the portal."""
READ: Literal["read"] = "read"
"""The role that may read a billable's billing (its subscriptions, invoices, cards) but change nothing."""
Role = Literal["manage", "read"]
READ_ONLY = "You may read this billing account but not change it: ask one of its billing managers."
"""What a READ member is told when they try to change the billing (403)."""
ROLES = (MANAGE, READ)


def billable_model() -> type[Model]:
    """The model whose rows pay: STRIPE_BILLABLE_MODEL ("app_label.ModelName"), else AUTH_USER_MODEL."""
    return apps.get_model(stripe_settings.STRIPE_BILLABLE_MODEL or settings.AUTH_USER_MODEL, require_ready=False)


def bills_users() -> bool:
    """Whether the billable is the user model itself (the default)."""
    return billable_model()._meta.label_lower == apps.get_model(settings.AUTH_USER_MODEL)._meta.label_lower


def unwrapped(obj: Any) -> Any:
    """The instance itself: `request.user` is a lazy proxy, and a billable is locked, saved and sent with
    signals by its model class."""
    if isinstance(obj, SimpleLazyObject):
        if obj._wrapped is empty:
            obj._setup()
        return obj._wrapped
    return obj


def is_billable(obj: Any) -> bool:
    """Whether `obj` is a saved row of the billable model (an anonymous user is not)."""
    obj = unwrapped(obj)
    model = billable_model()
    return isinstance(obj, model) and obj.pk is not None and getattr(obj, "is_authenticated", True)


def customer_id_of(obj: Any) -> str | None:
    """The Stripe customer id `obj` holds: a billable's, or a user's own where users are billed too; None for
    None, an anonymous user, or anything without a customer."""
    if obj is None or not getattr(obj, "is_authenticated", True):
        return None
    return getattr(obj, "stripe_customer_id", None) or None


def billable_label(obj: Any) -> str:
    """`app_label.model:pk`, how a billable is named where it must be named as text (a Checkout Session's
    metadata, a log line): never the customer id, which is the secret of who pays."""
    obj = unwrapped(obj)
    return f"{obj._meta.label_lower}:{obj.pk}"


def billable_for_request(request: Any) -> Any | None:
    """The billable this request acts for, from STRIPE_BILLABLE_FOR_REQUEST (default: the logged-in user);
    None when it acts for none (anonymous, or a team the user is not in: the caller answers 404)."""
    billable = _setting_callable("STRIPE_BILLABLE_FOR_REQUEST", user_billable)(request)
    # Anything but a saved row of the billable model (a user where teams pay, a stray id) acts for no one.
    return unwrapped(billable) if is_billable(billable) else None


def billing_role(user: Any, billable: Any) -> Role | None:
    """The role `user` has for `billable`'s billing, from STRIPE_BILLING_ROLE (default: MANAGE for one's own
    user row, None otherwise). Anything but MANAGE or READ counts as None."""
    if billable is None or not getattr(user, "is_authenticated", False):
        return None
    role = _setting_callable("STRIPE_BILLING_ROLE", own_billing_role)(unwrapped(user), unwrapped(billable))
    return role if role in ROLES else None


def user_billable(request: Any) -> Any | None:
    """The default STRIPE_BILLABLE_FOR_REQUEST: the logged-in user, None for an anonymous one."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def own_billing_role(user: Any, billable: Any) -> Role | None:
    """The default STRIPE_BILLING_ROLE: a user manages their own billing and no one else's."""
    return MANAGE if billable._meta.label_lower == user._meta.label_lower and billable.pk == user.pk else None


def _setting_callable(name: str, default: Callable) -> Callable:
    value = getattr(stripe_settings, name)
    if not value:
        return default
    return import_string(value) if isinstance(value, str) else value
