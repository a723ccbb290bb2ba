"""Attacks on a team's billing over real HTTP (the live server, a logged-in browser, the fake Stripe served
over HTTP), on the team model (DJANGO_STRIPE_BILLABLE=team, `make test`'s second pass).

Team A pays (its owner, alice, subscribed it with a card) and has a member who may only read (reader); team B
pays too (its owner, bob); eve is in neither. A reader may read but never write; an outsider sees the 404 of a
missing object for everything of the team, however the team is named (the URL's team_id, the X-Team header, the
current team); a manager of one team never reaches another's objects; a checkout reference made for one model is
refused for the other, and a checkout started for team A never links its customer to team B.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.references import checkout_reference
from tests.billables import billable_of, create_user, team_mode, user_model_only

from .attacks import PASSWORD, log_in, open_checkout, pay_on_checkout_page

pytestmark = pytest.mark.django_db(transaction=True)

team_model_only = pytest.mark.skipif(
    not team_mode(), reason="team billing: runs in the team pass (DJANGO_STRIPE_BILLABLE=team)"
)


@pytest.fixture
def teams(shop):
    """Teams A and B, each paying for a monthly subscription with a card; A's reader; eve, in neither."""
    from accounts.models import Membership

    alice, bob = member("alice"), member("bob")
    team_a, team_b = billable_of(alice), billable_of(bob)
    reader = member("reader")
    Membership.objects.create(team=team_a, user=reader, role=Membership.MEMBER)
    type(reader).objects.filter(pk=reader.pk).update(current_team=team_a)
    member("eve")
    paying = {name: pay(team, shop["month"]) for name, team in (("a", team_a), ("b", team_b))}
    return {"a": team_a, "b": team_b, **{f"{name}_objects": objects for name, objects in paying.items()}}


def member(username: str):
    """A user with a team of their own (their current team) who logs in with PASSWORD."""
    return create_user(username, f"{username}@example.com", PASSWORD)


def pay(team, price: str) -> dict:
    """`team` subscribed to `price` with a card of its own: the ids of its subscription, card and customer."""
    setup_intent = payments.create_setup_intent(team)
    card = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
    subscription = payments.create_subscription(team, price, default_payment_method=card.payment_method)
    invoice = get_client().v1.invoices.list(params={"subscription": subscription.id}).data[0]
    team.refresh_from_db()
    return {
        "subscription": subscription.id,
        "card": card.payment_method,
        "invoice": invoice.id,
        "customer": team.stripe_customer_id,
    }


def browser(shop, username: str):
    return log_in(shop["url"], username)


def api_writes(objects: dict, price: str) -> list[tuple[str, str, dict | None]]:
    """Every write of the REST API on a team's objects: (method, path under the API, JSON body)."""
    sub, card = objects["subscription"], objects["card"]
    return [
        ("post", f"checkout/{price}/", None),
        ("post", "setup-checkout/", None),
        ("post", f"setup-checkout/{sub}/", None),
        ("post", "billing/", None),
        ("post", "setup-intents/", None),
        ("post", "subscriptions/", {"price": price}),
        ("put", f"subscriptions/{sub}/", {"cancel_at_period_end": True}),
        ("delete", f"subscriptions/{sub}/", None),
        ("post", f"subscriptions/{sub}/change/", {"price": price, "quantity": 2}),
        ("delete", f"subscriptions/{sub}/scheduled-change/", None),
        ("post", f"subscriptions/{sub}/pause/", None),
        ("post", f"subscriptions/{sub}/unpause/", None),
        ("put", f"payment-methods/{card}/", {"set_as_default": True}),
        ("delete", f"payment-methods/{card}/", None),
    ]


def portal_posts(objects: dict, price: str) -> list[str]:
    """Every POST of the HTML portal, by path."""
    sub = objects["subscription"]
    return [
        f"checkout/{price}/",
        "setup-checkout/",
        f"setup-checkout/{sub}/",
        "billing-portal/",
        f"subscriptions/{sub}/change/",
    ]


def team_reads(objects: dict) -> list[str]:
    """The team's objects, by id and in lists, under the API."""
    return [
        "subscriptions/",
        f"subscriptions/{objects['subscription']}/",
        "invoices/",
        f"invoices/{objects['invoice']}/",
        "payment-methods/",
        f"payment-methods/{objects['card']}/",
    ]


def state_at_stripe(shop, objects: dict) -> tuple:
    """What a write would change at the fake: the team's objects, and how many objects it holds at all."""
    fake = shop["fake"]
    return len(fake.store), *(fake.get(objects[name]) for name in ("subscription", "card", "customer"))


def listed(answer) -> list:
    body = answer.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


@team_model_only
def test_a_reader_cannot_write_through_the_api_or_the_portal(shop, teams):
    reader = browser(shop, "reader")
    before = state_at_stripe(shop, teams["a_objects"])
    refused = {}
    for method, where, body in api_writes(teams["a_objects"], shop["year"]):
        for base in (f"{shop['url']}/api", f"{shop['url']}/teams/{teams['a'].pk}/billing/api"):
            answer = reader.request(method, f"{base}/{where}", json=body)
            refused[(method, base, where)] = answer.status_code
    for where in portal_posts(teams["a_objects"], shop["year"]):
        for base in (shop["url"], f"{shop['url']}/teams/{teams['a'].pk}/billing"):
            answer = reader.post(f"{base}/{where}", data={"price": shop["year"]}, allow_redirects=False)
            refused[("post", base, where)] = answer.status_code
    assert {key: status for key, status in refused.items() if status != 403} == {}
    assert state_at_stripe(shop, teams["a_objects"]) == before


@team_model_only
def test_a_reader_reads_the_teams_billing_and_is_subscribed_through_it(shop, teams):
    reader = browser(shop, "reader")
    for where in team_reads(teams["a_objects"]):
        assert reader.get(f"{shop['url']}/api/{where}").status_code == 200, where
    listed_ids = [sub["id"] for sub in listed(reader.get(f"{shop['url']}/api/subscriptions/"))]
    assert listed_ids == [teams["a_objects"]["subscription"]]
    # A plan change's preview changes nothing: a reader may ask for one.
    preview = f"{shop['url']}/api/subscriptions/{teams['a_objects']['subscription']}/preview/"
    assert reader.post(preview, json={"price": shop["year"]}).status_code == 200

    reader_user = get_user_model().objects.get(username="reader")
    assert payments.is_subscribed(reader_user, shop["product"]) is True
    payments.cancel_subscription(teams["a"], teams["a_objects"]["subscription"])
    assert payments.is_subscribed(reader_user, shop["product"]) is False


@team_model_only
@pytest.mark.parametrize("naming", ["url", "header", "current team"])
def test_an_outsider_sees_404_for_every_team_object(shop, teams, naming):
    eve = browser(shop, "eve")
    team_a = teams["a"]
    if naming == "current team":
        get_user_model().objects.filter(username="eve").update(current_team=team_a)
    base, headers = f"{shop['url']}/api", {}
    if naming == "url":
        base = f"{shop['url']}/teams/{team_a.pk}/billing/api"
    elif naming == "header":
        headers = {"X-Team": str(team_a.pk)}
    answers = {
        where: eve.get(f"{base}/{where}", headers=headers).status_code for where in team_reads(teams["a_objects"])
    }
    for method, where, body in api_writes(teams["a_objects"], shop["year"]):
        answers[(method, where)] = eve.request(method, f"{base}/{where}", json=body, headers=headers).status_code
    assert {where: status for where, status in answers.items() if status != 404} == {}


@team_model_only
def test_a_manager_of_one_team_never_reaches_anothers_objects(shop, teams):
    alice = browser(shop, "alice")  # manages team A, which she acts for
    before = state_at_stripe(shop, teams["b_objects"])
    answers = {}
    for where in team_reads(teams["b_objects"]):
        if where.endswith("/") and where.count("/") > 1:  # by id: team B's objects while acting for A
            answers[where] = alice.get(f"{shop['url']}/api/{where}").status_code
    for method, where, body in api_writes(teams["b_objects"], shop["year"]):
        if teams["b_objects"]["subscription"] in where or teams["b_objects"]["card"] in where:
            answers[(method, where)] = alice.request(method, f"{shop['url']}/api/{where}", json=body).status_code
    # Naming team B by the URL or the header: B is not hers.
    for where in team_reads(teams["b_objects"]):
        answers[("url", where)] = alice.get(f"{shop['url']}/teams/{teams['b'].pk}/billing/api/{where}").status_code
        answers[("header", where)] = alice.get(
            f"{shop['url']}/api/{where}", headers={"X-Team": str(teams["b"].pk)}
        ).status_code
    assert {where: status for where, status in answers.items() if status != 404} == {}
    assert state_at_stripe(shop, teams["b_objects"]) == before
    # Her own lists hold team A's objects alone.
    mine = [sub["id"] for sub in listed(alice.get(f"{shop['url']}/api/subscriptions/"))]
    assert mine == [teams["a_objects"]["subscription"]]


def pay_through_link(shop, client_reference_id: str) -> str:
    """A buyer pays the Checkout Session a Payment Link opens for `?client_reference_id=...`; its customer."""
    session = get_client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": shop["month"], "quantity": 1}],
            "client_reference_id": client_reference_id,
            "customer_email": "buyer@example.com",
            "success_url": "https://shop.example/thanks",
        }
    )
    customer = shop["fake"].complete_checkout_session(session.id)["customer"]
    assert all(delivery.status == 200 for delivery in shop["fake"].deliveries)
    return customer


@team_model_only
def test_a_reference_signed_for_a_user_links_no_team(shop, teams):
    from accounts.models import Team

    payer, bystander = billable_of(member("payer")), billable_of(member("bystander"))
    # Signed for the user model, with the pk of a team that has no customer yet: not a team's reference.
    forged = checkout_reference(get_user_model()(pk=bystander.pk))
    customer = pay_through_link(shop, forged)
    assert not Team.objects.filter(stripe_customer_id=customer).exists()
    # The team's own reference links it.
    customer = pay_through_link(shop, checkout_reference(payer))
    assert list(Team.objects.filter(stripe_customer_id=customer)) == [payer]


@user_model_only(reason="a reference signed for a team, refused on the user model")
def test_a_reference_signed_for_a_team_links_no_user(shop):
    from accounts.models import Team

    bystander = member("bystander")
    customer = pay_through_link(shop, checkout_reference(Team(pk=bystander.pk)))
    assert not get_user_model().objects.filter(stripe_customer_id=customer).exists()
    bystander.refresh_from_db()
    assert bystander.stripe_customer_id is None


@team_model_only
def test_a_checkout_started_for_one_team_links_its_customer_to_that_team_alone(shop, teams):
    from accounts.models import Team

    newcomer = member("newcomer")
    own_team = billable_of(newcomer)
    checkout = open_checkout(browser(shop, "newcomer"), shop["month"])
    assert pay_on_checkout_page(checkout) is True
    own_team.refresh_from_db()
    assert own_team.stripe_customer_id
    holders = Team.objects.filter(stripe_customer_id=own_team.stripe_customer_id)
    assert list(holders) == [own_team]
    teams["b"].refresh_from_db()
    assert teams["b"].stripe_customer_id == teams["b_objects"]["customer"]
    assert payments.is_subscribed(own_team, shop["product"]) is True
    assert payments.is_subscribed(teams["b"], shop["product"]) is True  # still its own subscription alone
    assert [sub.id for sub in get_client().v1.subscriptions.list(params={"customer": own_team.stripe_customer_id})]
