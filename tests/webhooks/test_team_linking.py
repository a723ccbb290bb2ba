"""`checkout.session.completed` links the session's customer to a team (the billable model) under the rules a
user's is linked by: only when the app vouches for the session (its marker, or a reference signed for the team
model), never a team that already has a customer, never a customer another team holds."""

import itertools

import pytest
from accounts.models import Team
from django.contrib.auth import get_user_model

from django_stripe.billables import billable_label
from django_stripe.payments import checkout_reference, create_checkout
from django_stripe.references import CHECKOUT_BILLABLE_KEY, CHECKOUT_USER_KEY
from django_stripe.testing.factories import SubscriptionPayloadFactory
from django_stripe.webhooks.linking import link_customer_to_billable, link_customer_to_user
from django_stripe.webhooks.processing import process_event

from .events import stored

pytestmark = pytest.mark.django_db
EVENT_NUMBERS = itertools.count()


@pytest.fixture(autouse=True)
def teams(settings):
    settings.STRIPE_BILLABLE_MODEL = "accounts.Team"
    settings.STRIPE_BILLABLE_MEMBERS = "members"


@pytest.fixture
def team():
    return Team.objects.create(name="Acme")


def session(reference, customer="cus_buyer", **fields) -> dict:
    return {
        "id": "cs_team",
        "object": "checkout.session",
        "customer": customer,
        "client_reference_id": str(reference),
        "customer_details": {"email": "buyer@example.com"},
        "metadata": {},
        "subscription": SubscriptionPayloadFactory(customer=customer),
        **fields,
    }


def complete(checkout: dict) -> str:
    event_id = f"evt_team_{next(EVENT_NUMBERS)}"
    return process_event(stored("checkout.session.completed", checkout, event_id=event_id).id)


def customer_of(row) -> str | None:
    row.refresh_from_db()
    return row.stripe_customer_id


def test_a_session_marked_for_the_team_links_it(team):
    complete(session(team.pk, metadata={CHECKOUT_BILLABLE_KEY: billable_label(team)}))
    assert customer_of(team) == "cus_buyer"


def test_a_bare_team_pk_links_nothing(team):
    complete(session(team.pk))
    assert customer_of(team) is None


def test_a_reference_signed_for_the_team_links_it(team):
    complete(session(checkout_reference(team)))
    assert customer_of(team) == "cus_buyer"


def test_a_team_that_has_a_customer_keeps_it(team):
    team.stripe_customer_id = "cus_own"
    team.save()
    complete(session(checkout_reference(team)))
    assert customer_of(team) == "cus_own"


def test_a_customer_another_team_holds_is_never_taken(team):
    Team.objects.create(name="Holder", stripe_customer_id="cus_buyer")
    complete(session(checkout_reference(team)))
    assert customer_of(team) is None


def test_create_checkout_for_the_team_round_trips(synced_fake, team):
    created = create_checkout(team, mode="setup")
    held = synced_fake.get(created.id)
    team.refresh_from_db()
    assert team.stripe_customer_id  # made by create_checkout: linking has nothing left to do
    team.stripe_customer_id = None
    team.save()
    complete({**held, "customer": "cus_relinked", "subscription": None})
    assert customer_of(team) == "cus_relinked"


def test_link_customer_to_billable_is_one_update_and_keeps_its_old_name(team, django_assert_num_queries):
    assert link_customer_to_user is link_customer_to_billable
    with django_assert_num_queries(1):
        assert link_customer_to_billable(team.pk, "cus_one") is True
    with django_assert_num_queries(1):
        assert link_customer_to_billable(team.pk, "cus_two") is False
    assert customer_of(team) == "cus_one"


def test_the_user_model_is_not_linked_while_teams_pay(make_user):
    user = make_user("buyer")
    complete(session(user.pk, metadata={CHECKOUT_USER_KEY: str(user.pk)}))
    assert get_user_model().objects.get(pk=user.pk).stripe_customer_id is None
