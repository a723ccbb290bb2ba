"""One trial per customer, whatever the order or the concurrency, over real HTTP: the REST API on a live server,
the fake Stripe served over HTTP completing Checkout Sessions as a buyer would, its webhooks signed.

Before the fix the trial rule judged only the subscriptions that existed: `POST /api/checkout/<basic>/` then
`POST /api/checkout/<premium>/`, both completed, gave two trialing subscriptions, and so did an open Checkout
followed by `POST /api/subscriptions/`, since nothing reserved the trial while a session (open 24 hours)
carried it. The trial is now reserved when it is granted, under the customer's lock, and a session carrying it
is expired at Stripe before a trial is granted anywhere else.
"""

from __future__ import annotations

import threading

import pytest

from django_stripe.client import get_client
from django_stripe.models import OpenCheckout, TrialReservation
from tests.billables import billable_of

from .attacks import (
    add_card,
    api_user,
    new_price,
    open_checkout,
    pay_on_checkout_page,
    subscribe,
    subscriptions_at_stripe,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plans(shop, settings):
    """Two products, Basic and Premium, with the project's 14-day trial."""
    settings.STRIPE_TRIAL_PERIOD_DAYS = 14
    premium = get_client().v1.products.create(params={"name": "Premium"})
    return {**shop, "basic": shop["month"], "premium": new_price(premium.id, 5000)}


def trialing(user) -> list:
    return [s for s in subscriptions_at_stripe(user) if s.trial_start is not None]


def test_two_checkouts_completed_give_one_trial(plans):
    user, session = api_user(plans)
    basic = open_checkout(session, plans["basic"])
    premium = open_checkout(session, plans["premium"])
    # The first session was expired when the second took the trial: the buyer cannot complete it any more.
    assert get_client().v1.checkout.sessions.retrieve(basic["id"]).status == "expired"
    assert pay_on_checkout_page(basic) is False
    assert pay_on_checkout_page(premium) is True
    assert len(trialing(user)) == 1
    assert (
        TrialReservation.objects.get(customer_id=billable_of(user).stripe_customer_id).subscription_id
        == trialing(user)[0].id
    )
    assert not OpenCheckout.objects.exists()  # both closed: one by us, one by its completion webhook


def test_a_checkout_completed_first_leaves_no_trial_for_the_api(plans):
    user, session = api_user(plans)
    assert pay_on_checkout_page(open_checkout(session, plans["basic"]))
    card = add_card(session)
    second = subscribe(session, price_id=plans["premium"], default_payment_method=card)
    assert second.status_code == 201, second.text
    assert (second.json()["status"], second.json()["trial_end"]) == ("active", None)
    assert len(trialing(user)) == 1


def test_an_open_checkout_loses_its_trial_to_the_api(plans):
    user, session = api_user(plans)
    basic = open_checkout(session, plans["basic"])
    second = subscribe(session, price_id=plans["premium"])
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "trialing"
    assert pay_on_checkout_page(basic) is False
    assert len(trialing(user)) == 1


def test_a_checkout_completed_meanwhile_keeps_its_trial(plans):
    """The buyer completes the session at Stripe before its webhook (delayed here) reaches us: the API, finding
    the session complete when it tries to expire it, grants no second trial."""
    user, session = api_user(plans)
    basic = open_checkout(session, plans["basic"])
    plans["fake"].delivery_mode = "queued"
    assert pay_on_checkout_page(basic)
    plans["fake"].delivery_mode = "immediate"
    card = add_card(session)
    second = subscribe(session, price_id=plans["premium"], default_payment_method=card)
    assert (second.json()["status"], second.json()["trial_end"]) == ("active", None)
    assert len(trialing(user)) == 1
    plans["fake"].deliver_queued()
    assert len(trialing(user)) == 1


def test_an_expired_checkout_gives_its_trial_back(plans):
    user, session = api_user(plans)
    basic = open_checkout(session, plans["basic"])
    get_client().v1.checkout.sessions.expire(basic["id"])  # the buyer walked away; Stripe expires it
    assert not TrialReservation.objects.exists()  # released by checkout.session.expired
    again = subscribe(session, price_id=plans["premium"])
    assert again.status_code == 201 and again.json()["status"] == "trialing"


@pytest.mark.postgres
def test_requests_at_once_start_one_trial(plans):
    """Two subscriptions and a checkout asked for at the same moment, each in its own request thread."""
    user, session = api_user(plans)
    third = get_client().v1.products.create(params={"name": "Team"})
    requests_at_once = [
        lambda: subscribe(session, price_id=plans["basic"]),
        lambda: subscribe(session, price_id=plans["premium"]),
        lambda: session.post(f"{session.base}/checkout/{new_price(third.id, 700)}/"),
    ]
    session.post(f"{session.base}/setup-intents/")  # the customer exists before the race
    answers = []
    barrier = threading.Barrier(len(requests_at_once))

    def send(request):
        barrier.wait()
        answers.append(request())

    threads = [threading.Thread(target=send, args=(request,)) for request in requests_at_once]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer.status_code < 500 for answer in answers), [answer.text for answer in answers]
    for checkout in get_client().v1.checkout.sessions.list(params={"status": "open"}).data:
        pay_on_checkout_page({"url": checkout.url})
    assert len(trialing(user)) == 1
