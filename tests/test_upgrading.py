"""Moving an existing project's customers from its users to its teams (the data migration of docs/upgrading.md),
and back: all or nothing."""

import pytest
from accounts.models import Membership, Team, User
from django.apps import apps
from django.db import connection

from django_stripe.upgrading import CustomerMoveRefused, move_customers, reverse_move_customers

pytestmark = pytest.mark.django_db


def owned_team(user):
    """The team the user owns (the one that pays for what the user paid for), None for a user owning none."""
    return Team.objects.filter(memberships__user=user, memberships__role=Membership.OWNER).first()


def move(reverse=False):
    how = reverse_move_customers if reverse else move_customers
    return how(apps, connection.schema_editor(), source="accounts.User", target="accounts.Team", billable_of=owned_team)


def team_owned_by(user, name, customer_id=None):
    team = Team.objects.create(name=name, stripe_customer_id=customer_id)
    Membership.objects.create(team=team, user=user, role=Membership.OWNER)
    return team


def customers():
    users = dict(User.objects.values_list("username", "stripe_customer_id"))
    teams = dict(Team.objects.values_list("name", "stripe_customer_id"))
    return users, teams


def test_each_owners_customer_moves_to_their_team(make_user):
    alice, bob = make_user("alice", stripe_customer_id="cus_a"), make_user("bob", stripe_customer_id="cus_b")
    team_owned_by(alice, "Alice's")
    team_owned_by(bob, "Bob's")
    Membership.objects.create(team=Team.objects.get(name="Alice's"), user=make_user("carol"), role=Membership.MEMBER)
    make_user("dave", stripe_customer_id="cus_d")  # owns no team: keeps their customer

    assert move() == 2

    assert customers() == (
        {"alice": None, "bob": None, "carol": None, "dave": "cus_d"},
        {"Alice's": "cus_a", "Bob's": "cus_b"},
    )


def test_a_team_holding_another_customer_refuses_the_whole_move(make_user):
    alice, bob = make_user("alice", stripe_customer_id="cus_a"), make_user("bob", stripe_customer_id="cus_b")
    team_owned_by(alice, "Alice's")
    team_owned_by(bob, "Bob's", customer_id="cus_team")
    before = customers()

    with pytest.raises(CustomerMoveRefused, match="already holds customer cus_team"):
        move()

    assert customers() == before  # alice's, moved first, is back: nothing half-moved


def test_two_owners_of_one_team_cannot_both_move_theirs(make_user):
    alice, bob = make_user("alice", stripe_customer_id="cus_a"), make_user("bob", stripe_customer_id="cus_b")
    team = team_owned_by(alice, "Shared")
    Membership.objects.create(team=team, user=bob, role=Membership.OWNER)
    before = customers()
    with pytest.raises(CustomerMoveRefused):
        move()
    assert customers() == before


def test_moving_again_changes_nothing(make_user):
    team_owned_by(make_user("alice", stripe_customer_id="cus_a"), "Alice's")
    move()
    assert move() == 0
    assert customers() == ({"alice": None}, {"Alice's": "cus_a"})


def test_the_way_back(make_user):
    alice = make_user("alice", stripe_customer_id="cus_a")
    team_owned_by(alice, "Alice's")
    Membership.objects.create(team=Team.objects.get(), user=make_user("carol"), role=Membership.MEMBER)
    move()

    assert move(reverse=True) == 1

    assert customers() == ({"alice": "cus_a", "carol": None}, {"Alice's": None})


def test_the_way_back_refuses_a_customer_a_user_already_holds(make_user):
    alice = make_user("alice")
    team_owned_by(alice, "Alice's", customer_id="cus_a")
    make_user("mallory", stripe_customer_id="cus_a")
    before = customers()
    with pytest.raises(CustomerMoveRefused, match="already held by accounts.User"):
        move(reverse=True)
    assert customers() == before
