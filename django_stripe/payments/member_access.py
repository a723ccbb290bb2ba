"""A member's access: where teams (or any model other than the user model) pay, a user has access through every
billable STRIPE_BILLABLE_MEMBERS says they belong to, and through their own customer if the user model holds one.

The billables are found by a subquery of the access check itself (`member_customers`), so the check stays one
query. The user's pk reaches that SQL as a string parameter (the precompiled checks take strings) cast to the
user model's pk type in SQL: compared uncast, an integer column against a text parameter fails on PostgreSQL
under server-side binding, and casting the column instead would forgo its index.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Cast

from .. import billables
from ..conf import stripe_settings


class Members(NamedTuple):
    """How a user reaches the billables they belong to: the billable model's label and the lookup from it to
    the user model (STRIPE_BILLABLE_MEMBERS). Hashable: the precompiled member checks are keyed by it."""

    model: str
    lookup: str


class Member(NamedTuple):
    """A user whose access comes through their billables: how (`members`), their pk as text, and their own
    customer id ("" for none: no customer has that id, so the check's SQL is the same either way)."""

    members: Members
    user_pk: str
    own_customer_id: str


def member_of(obj: Any) -> Member | None:
    """`obj` as a member, when its access comes through billables: a logged-in user while the billable model is
    not the user model and STRIPE_BILLABLE_MEMBERS is set. None for a billable (its own customer decides), for
    anyone while users are the billables, and for a user without STRIPE_BILLABLE_MEMBERS (their own customer
    alone decides, as it always did)."""
    obj = billables.unwrapped(obj)
    lookup = stripe_settings.STRIPE_BILLABLE_MEMBERS
    if not lookup or not isinstance(obj, get_user_model()) or not obj.is_authenticated or billables.bills_users():
        return None
    members = Members(billables.billable_model()._meta.label, lookup)
    return Member(members, str(obj.pk), billables.customer_id_of(obj) or "")


def member_customers(members: Members, user_pk: str) -> QuerySet:
    """The customer ids of the billables the user of pk `user_pk` (text) belongs to, as a subquery."""
    pk_field = get_user_model()._meta.pk
    as_pk = Cast(Value(user_pk), output_field=pk_field)
    return (
        apps.get_model(members.model)
        ._default_manager.filter(**{f"{members.lookup}__pk": as_pk})
        .values("stripe_customer_id")
    )


def member_owners(members: Members, user_pk: str, own_customer_id: str, customer_field: str) -> Q:
    """`customer_field` (e.g. "subscription__customer_id") is one of the member's billables' customers or the
    user's own."""
    return Q(**{f"{customer_field}__in": member_customers(members, user_pk)}) | Q(**{customer_field: own_customer_id})
