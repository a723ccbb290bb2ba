"""Attacks on the team checkout linking: a marker, a reference or a customer pointed at a team the buyer may not
bind. Each links nothing (see webhooks/linking.py)."""

import pytest
from accounts.models import Team

from django_stripe.billables import billable_label
from django_stripe.payments import checkout_reference
from django_stripe.references import CHECKOUT_BILLABLE_KEY, CHECKOUT_USER_KEY
from tests.webhooks.test_team_linking import (
    complete,
    customer_of,
    session,
    teams,  # noqa: F401 - autouse: the team model pays
)

pytestmark = pytest.mark.django_db


def test_a_marker_for_another_team_or_a_user_links_nothing():
    team = Team.objects.create(name="Acme")
    other = Team.objects.create(name="Other")
    complete(session(team.pk, metadata={CHECKOUT_BILLABLE_KEY: billable_label(other)}))
    complete(session(team.pk, metadata={CHECKOUT_USER_KEY: str(team.pk)}))  # a user's marker is no team's
    complete(session(team.pk, metadata={CHECKOUT_BILLABLE_KEY: f"accounts.user:{team.pk}"}))
    assert customer_of(team) is None
    assert customer_of(other) is None


def same_pk_team(user):
    """A team of the user's pk: the one make_user may have made for them already (the team model is on here,
    and where ids restart with each test, as on SQLite, it has the same pk), else a new one."""
    return Team.objects.filter(pk=user.pk).first() or Team.objects.create(pk=user.pk, name="Same pk")


def test_a_users_signed_reference_is_never_a_teams(make_user, settings):
    """A user and a team of the same pk: the user's reference (handed out before the upgrade, valid as it was)
    names no team."""
    user = make_user("same")
    same = same_pk_team(user)
    reference = checkout_reference(user)
    complete(session(reference))
    assert customer_of(same) is None
    assert reference != checkout_reference(same)
    settings.STRIPE_BILLABLE_MODEL = None  # back on the user model, the same reference links the user
    complete(session(reference, customer="cus_user"))
    assert customer_of(user) == "cus_user"


def test_a_forged_team_reference_links_nothing():
    team = Team.objects.create(name="Acme")
    forged = f"{team.pk}_{'0' * 64}"
    complete(session(forged))
    assert customer_of(team) is None


def test_a_customer_a_user_still_holds_is_never_taken(make_user):
    """Half-way through an upgrade the users still hold their customers: a team cannot take one."""
    team = Team.objects.create(name="Acme")
    make_user("holder", stripe_customer_id="cus_buyer")
    complete(session(checkout_reference(team)))
    assert customer_of(team) is None


def test_a_teams_signature_moved_to_another_team_links_nothing():
    team = Team.objects.create(name="Acme")
    victim = Team.objects.create(name="Victim")
    signature = checkout_reference(team).rpartition("_")[2]
    complete(session(f"{victim.pk}_{signature}"))
    assert customer_of(victim) is None and customer_of(team) is None


def test_a_teams_reference_is_no_users(make_user, settings):
    """Back on the user model (or in another project sharing the SECRET_KEY), a team's reference names no user."""
    user = make_user("same")
    same = same_pk_team(user)
    reference = checkout_reference(same)
    settings.STRIPE_BILLABLE_MODEL = None
    complete(session(reference))
    assert customer_of(user) is None
