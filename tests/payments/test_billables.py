"""The payments functions on a billable other than the user: a Team of the example project pays (its own
customer, made from its details), and every ownership check goes by the team's customer."""

import pytest
import stripe
from accounts.models import Membership, Team
from django.contrib.auth import get_user_model

from django_stripe import payments, signals
from django_stripe.billables import billable_label
from django_stripe.client import get_client
from django_stripe.exceptions import StripeCustomerMissing, StripeWrongCustomer
from django_stripe.models import Customer, Subscription
from django_stripe.references import CHECKOUT_BILLABLE_KEY, CHECKOUT_USER_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(settings):
    settings.STRIPE_BILLABLE_MODEL = "accounts.Team"
    settings.STRIPE_BILLABLE_MEMBERS = "members"


@pytest.fixture
def team(teams, make_user):
    team = Team.objects.create(name="Acme", email="billing@acme.test")
    Membership.objects.create(team=team, user=make_user("owner"), role=Membership.OWNER)
    return team


def add_card(billable, card="pm_card_visa"):
    setup_intent = payments.create_setup_intent(billable)
    return get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": card}).payment_method


def test_a_team_gets_a_customer_of_its_own_made_from_its_details(synced_fake, team):
    received = []

    def on_new_customer(sender, **kwargs):
        received.append((sender, kwargs["user"], kwargs["billable"]))

    signals.new_customer.connect(on_new_customer, weak=False)
    try:
        payments.create_customer(team)
        payments.create_customer(Team.objects.get(pk=team.pk))  # once only
    finally:
        signals.new_customer.disconnect(on_new_customer)

    team.refresh_from_db()
    customer = synced_fake.get(team.stripe_customer_id)
    assert (customer["email"], customer["name"]) == ("billing@acme.test", "Acme")
    assert customer["metadata"] == {CHECKOUT_BILLABLE_KEY: billable_label(team)}
    assert Customer.objects.get(id=team.stripe_customer_id).name == "Acme"
    assert len(get_client().v1.customers.list().data) == 1
    assert received == [(Team, team, team)]


def test_a_team_and_a_user_of_the_same_pk_never_share_an_idempotency_key(synced_fake, teams, make_user):
    user = make_user("same")
    # On the team model make_user has made a team already, maybe of that very pk.
    team = Team.objects.filter(pk=user.pk).first() or Team.objects.create(pk=user.pk, name="Same")
    payments.create_customer(user)
    payments.create_customer(team)
    user.refresh_from_db()
    team.refresh_from_db()
    assert user.stripe_customer_id and team.stripe_customer_id
    assert user.stripe_customer_id != team.stripe_customer_id  # the same key would have replayed the user's
    assert synced_fake.get(user.stripe_customer_id)["metadata"] == {"user_id": str(user.pk)}


def test_a_model_that_names_its_own_customer_details(synced_fake, teams, monkeypatch):
    monkeypatch.setattr(
        Team,
        "stripe_customer_details",
        lambda self: {"name": f"{self.name} Ltd", "preferred_locales": ["fr"]},
        raising=False,
    )
    team = payments.create_customer(Team.objects.create(name="Acme", email="ignored@acme.test"))
    customer = synced_fake.get(team.stripe_customer_id)
    assert (customer["name"], customer["email"], customer["preferred_locales"]) == ("Acme Ltd", None, ["fr"])


def test_a_team_without_name_or_email_is_named_by_str(synced_fake, teams, monkeypatch):
    monkeypatch.setattr(Team, "__str__", lambda self: f"team #{self.pk}")
    team = payments.create_customer(Team.objects.create(name=""))
    assert synced_fake.get(team.stripe_customer_id)["name"] == f"team #{team.pk}"


def test_an_unsaved_team_gets_no_customer(synced_fake, teams):
    with pytest.raises(StripeCustomerMissing):
        payments.create_customer(Team(name="Unsaved"))
    assert get_client().v1.customers.list().data == []


def test_the_team_subscribes_pays_and_changes_its_own_subscription(synced_fake, catalogue, team):
    card = add_card(team)
    sub = payments.create_subscription(team, catalogue["monthly"], default_payment_method=card)
    team.refresh_from_db()
    assert synced_fake.get(sub.id)["customer"] == team.stripe_customer_id
    assert payments.is_subscribed(team, catalogue["product"]) is True
    assert [row["id"] for row in payments.subscription_payloads(team)] == [sub.id]
    assert [pm.id for pm in payments.list_payment_methods(team)] == [card]
    assert payments.retrieve_customer_object(team, stripe.Subscription, sub.id)["id"] == sub.id
    payments.cancel_subscription_at_period_end(team, sub.id)
    assert Subscription.objects.get(id=sub.id).on_grace_period
    payments.resume_subscription(team, sub.id)
    payments.change_plan(team, sub.id, quantity=2)  # an upgrade: applied now
    assert Subscription.objects.get(id=sub.id).items.get(deleted=False).quantity == 2
    payments.pause_subscription(team, sub.id)
    assert synced_fake.get(sub.id)["pause_collection"]["behavior"]
    payments.unpause_subscription(team, sub.id)
    assert payments.create_billing_portal(team).url
    assert payments.delete_customer_object(team, stripe.Subscription, sub.id)["status"] == "canceled"
    assert payments.is_subscribed(team, catalogue["product"]) is False


def test_customer_modified_names_the_team(synced_fake, team):
    payments.create_customer(team)
    received = []

    def on_modified(sender, **kwargs):
        received.append((sender, kwargs["billable"]))

    signals.customer_modified.connect(on_modified, weak=False)
    try:
        payments.modify_customer(team, description="the whole team")
    finally:
        signals.customer_modified.disconnect(on_modified)
    assert received == [(Team, team)]
    assert synced_fake.get(team.stripe_customer_id)["description"] == "the whole team"


def test_a_checkout_for_the_team_is_marked_with_the_team(synced_fake, catalogue, team):
    session = payments.create_subscription_checkout(team, catalogue["monthly"])
    held = synced_fake.get(session.id)
    team.refresh_from_db()
    assert held["customer"] == team.stripe_customer_id
    assert held["metadata"] == {CHECKOUT_BILLABLE_KEY: billable_label(team)}
    assert CHECKOUT_USER_KEY not in held["metadata"]
    assert payments.create_setup_checkout(team, metadata={"campaign": "spring"}).metadata.to_dict() == {
        "campaign": "spring",
        CHECKOUT_BILLABLE_KEY: billable_label(team),
    }


def other_teams_subscription(synced_fake, catalogue, team):
    """The team's subscription and card; and another team with a customer of its own."""
    card = add_card(team)
    sub = payments.create_subscription(team, catalogue["monthly"], default_payment_method=card)
    intruder = payments.create_customer(Team.objects.create(name="Intruders"))
    return sub.id, card, intruder


CALLS = {
    "retrieve": lambda team, sub, pm: payments.retrieve_customer_object(team, stripe.Subscription, sub),
    "modify": lambda team, sub, pm: payments.modify_customer_object(team, stripe.Subscription, sub, metadata={"x": 1}),
    "delete": lambda team, sub, pm: payments.delete_customer_object(team, stripe.PaymentMethod, pm),
    "cancel": lambda team, sub, pm: payments.cancel_subscription(team, sub),
    "pause": lambda team, sub, pm: payments.pause_subscription(team, sub),
    "change_plan": lambda team, sub, pm: payments.change_plan(team, sub, quantity=3),
    "detach": lambda team, sub, pm: payments.detach_payment_method(team, pm),
    "default_card": lambda team, sub, pm: payments.modify_customer(
        team, invoice_settings={"default_payment_method": pm}
    ),
    "find_owned_row": lambda team, sub, pm: payments.find_owned_row(team, Subscription, sub),
    "card_checkout": lambda team, sub, pm: payments.create_payment_method_checkout(team, sub),
}


@pytest.mark.parametrize("call", CALLS)
def test_another_team_can_touch_nothing_of_the_team(synced_fake, catalogue, team, call):
    sub_id, card, intruder = other_teams_subscription(synced_fake, catalogue, team)
    before = (synced_fake.get(sub_id), synced_fake.get(card))
    with pytest.raises(StripeWrongCustomer):
        CALLS[call](intruder, sub_id, card)
    assert (synced_fake.get(sub_id), synced_fake.get(card)) == before


@pytest.mark.parametrize("call", CALLS)
def test_a_member_is_not_the_team_for_its_writes(synced_fake, catalogue, team, call):
    """The owner's own user row holds no customer: acting as the user never reaches the team's objects (a
    project acts for the team by passing the team, after its STRIPE_BILLING_ROLE says the user may)."""
    sub_id, card, _ = other_teams_subscription(synced_fake, catalogue, team)
    owner = get_user_model().objects.get(username="owner")
    with pytest.raises((StripeWrongCustomer, StripeCustomerMissing)):
        CALLS[call](owner, sub_id, card)
    assert synced_fake.get(sub_id)["status"] == "active"


def test_lists_of_another_team_are_empty(synced_fake, catalogue, team):
    _, _, intruder = other_teams_subscription(synced_fake, catalogue, team)
    assert payments.subscription_payloads(intruder) == []
    assert payments.invoice_payloads(intruder) == []
    assert payments.list_payment_methods(intruder) == []
    assert payments.list_customer_resource(intruder, stripe.Subscription) == []


def test_a_team_keeps_its_customer_details_in_step(synced_fake, team, django_capture_on_commit_callbacks):
    payments.create_customer(team)
    team.name, team.email = "Acme Corp", "ap@acme.test"
    with django_capture_on_commit_callbacks(execute=True):
        team.save()
    customer = synced_fake.get(team.stripe_customer_id)
    assert (customer["name"], customer["email"]) == ("Acme Corp", "ap@acme.test")
