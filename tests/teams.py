"""The team Acme, for the tests of the REST API, the portal and the gates on the team model, whichever model the
suite runs on (they select it themselves, `team_billing(settings)`): an owner who manages its billing, a reader
who may only read it, and an outsider who is a member of another team, Globex."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

# The example project's team billing, as DJANGO_STRIPE_BILLABLE=team sets it (example_project/settings.py).
TEAM_SETTINGS = {
    "STRIPE_BILLABLE_MODEL": "accounts.Team",
    "STRIPE_BILLABLE_FOR_REQUEST": "accounts.billing.team_for_request",
    "STRIPE_BILLING_ROLE": "accounts.billing.team_role",
    "STRIPE_BILLABLE_MEMBERS": "members",
}


@dataclass
class Acme:
    team: Any
    owner: Any
    reader: Any
    outsider: Any
    other_team: Any

    @property
    def prefix(self) -> str:
        """Where the example project mounts the team's pages; its API is under `api/` there."""
        return f"/teams/{self.team.pk}/billing/"


def team_billing(settings) -> None:
    """Teams pay, as in the example project with DJANGO_STRIPE_BILLABLE=team."""
    for name, value in TEAM_SETTINGS.items():
        setattr(settings, name, value)


def make_acme(**team_fields: Any) -> Acme:
    """Acme (owner, reader) and Globex (the outsider owns it), each member's current team their own. Users are
    made without a team of their own, whatever model the suite runs on."""
    from accounts.models import Membership, Team

    users = {name: get_user_model().objects.create_user(name, f"{name}@example.com", "pw") for name in _NAMES}
    team = Team.objects.create(name="Acme", email="billing@acme.example", **team_fields)
    other_team = Team.objects.create(name="Globex", email="billing@globex.example")
    for user, joined, role in (
        (users["owner"], team, Membership.OWNER),
        (users["reader"], team, Membership.MEMBER),
        (users["outsider"], other_team, Membership.OWNER),
    ):
        Membership.objects.create(team=joined, user=user, role=role)
        user.current_team = joined
        user.save(update_fields=["current_team"])
    return Acme(team, users["owner"], users["reader"], users["outsider"], other_team)


_NAMES = ("owner", "reader", "outsider")


def assert_the_gate_follows_the_team(acme: Acme, status_for, assert_num_queries) -> None:
    """`status_for(user)` answers a view gated on the product "prod_pro": a member of Acme passes while Acme
    pays and fails once it stops, the outsider never passes; each answer in exactly one query."""
    from django_stripe.models import Subscription
    from django_stripe.testing.factories import PricePayloadFactory, SubscriptionFactory

    acme.team.stripe_customer_id = "cus_acme"
    acme.team.save()
    with assert_num_queries(1):
        assert status_for(acme.reader) == 403
    row = SubscriptionFactory(payload__customer="cus_acme", payload__price=PricePayloadFactory(product="prod_pro"))
    for user, status in ((acme.reader, 200), (acme.owner, 200), (acme.outsider, 403)):
        with assert_num_queries(1):
            assert status_for(user) == status, user
    Subscription.objects.filter(pk=row.pk).update(status="canceled")  # the team stops paying
    with assert_num_queries(1):
        assert status_for(acme.reader) == 403
