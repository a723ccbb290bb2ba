"""What pays for a test's user, on either model the suite runs on (DJANGO_STRIPE_BILLABLE=team: the team model).

On the user model a user pays for themselves; on the team model every user the tests make owns a team of their
own, made with them, which pays (and is their current team, which the REST API and the portal act for). The
tests pass `billable_of(user)` to django_stripe.payments and read the customer id from it, so one test asserts
the same behaviour on both models.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_stripe.billables import bills_users

# The fields of a billable the tests set when they make a user (`make_user(stripe_customer_id="cus_1")`): on the
# team model they go to the user's team.
BILLABLE_FIELDS = frozenset({"stripe_customer_id"})

user_model_only = pytest.mark.user_model_only
"""A test that makes sense on the user model alone: `@user_model_only(reason="...")` (skipped on the team model)."""


def team_mode() -> bool:
    """Whether the suite runs on the team model (the billable is not the user model)."""
    return not bills_users()


def create_user(username: str = "alice", email: str | None = None, password: str | None = None, **fields: Any):
    """A saved user (`UserManager.create_user`'s arguments), and on the team model the team they own (their
    current team), which gets the billable's fields (`stripe_customer_id`)."""
    billable_fields = {name: fields.pop(name) for name in BILLABLE_FIELDS & fields.keys()} if team_mode() else {}
    user = get_user_model().objects.create_user(username, email, password, **fields)
    if team_mode():
        own_team(user, **billable_fields)
    return user


def own_team(user, **fields: Any):
    """The team `user` owns (made now, as their current team, when they own none yet)."""
    from accounts.models import Membership, Team

    team = Team.objects.filter(memberships__user=user, memberships__role=Membership.OWNER).order_by("pk").first()
    if team is None:
        team = Team.objects.create(name=f"{user.username}'s team", email=user.email, **fields)
        Membership.objects.create(team=team, user=user, role=Membership.OWNER)
        type(user).objects.filter(pk=user.pk).update(current_team=team)
    remember_team(user, team)
    return team


def remember_team(user, team) -> None:
    # Kept as the user's cached current team, which `refresh_from_db` clears: `billable_of` answers without a
    # query (the tests count queries) and with the instance the payments calls updated, until the user is read
    # again, as a user's own customer id is.
    user.current_team = team
    user._owned_team_pk = team.pk


def billable_of(user):
    """What pays for `user`: the user itself on the user model; on the team model the team the user owns (the
    instance kept on the user until `user.refresh_from_db()`, which reads it again). Anything but a saved user
    (None, an anonymous user, a billable already) stays as it is."""
    if not team_mode() or not isinstance(user, get_user_model()) or not user.is_authenticated:
        return user
    if type(user).current_team.is_cached(user) and getattr(user.current_team, "pk", None) == getattr(
        user, "_owned_team_pk", None
    ):
        return user.current_team
    return own_team(user)


def give_customer(user, customer_id: str):
    """Save `customer_id` as the customer of what pays for `user`; that billable."""
    billable = billable_of(user)
    billable.stripe_customer_id = customer_id
    billable.save()
    return billable


def request_billable_queries() -> int:
    """The queries a REST or portal request spends on what it acts for and the user's role there: none on the
    user model; on the team model one for the example's `team_for_request` and one for its `team_role`."""
    return 2 if team_mode() else 0
