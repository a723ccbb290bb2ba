"""Upgrades are paid before access, over real HTTP: the REST API on a live server, the fake Stripe over HTTP
billing as Stripe does (prorations, pending updates), its hosted billing portal submitted as a customer would.

Before the fix, a user subscribed to a $1/month price, with a card that fails, could `PUT` a $1,000/month price
of another product and get 200: at Stripe `active` on the dear price, and `is_subscribed(user, premium)` true.
The change left Stripe's defaults (`create_prorations`, `allow_incomplete`): the difference waited for the
renewal, and a cancel before it meant it was never paid. A trial could be moved the same way onto a price that
grants none. Plan changes are now pending updates paid at once; the Billing Portal uses the library's own
configuration, which bills upgrades at once too.
"""

from __future__ import annotations

import re

import pytest
import requests
from django.contrib.auth import get_user_model

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import Subscription

from .attacks import add_card, api_user, new_price, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

FAILING_CARD = "pm_card_chargeCustomerFail"  # attaches, then every charge fails


@pytest.fixture
def plans(shop):
    """A $1/month Basic and a $1,000/month Premium, two products."""
    premium = get_client().v1.products.create(params={"name": "Premium"})
    basic = get_client().v1.products.create(params={"name": "Basic"})
    return {
        **shop,
        "basic_product": basic.id,
        "premium_product": premium.id,
        "basic": new_price(basic.id, 100),
        "premium": new_price(premium.id, 100_000),
    }


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def at_stripe(subscription_id: str):
    return get_client().v1.subscriptions.retrieve(subscription_id)


def subscribed_to_basic(plans):
    user, session = api_user(plans)
    subscription = subscribe(session, price_id=plans["basic"], default_payment_method=add_card(session))
    assert subscription.status_code == 201, subscription.text
    return user, session, subscription.json()["id"]


def test_an_upgrade_with_a_failing_card_changes_nothing(plans):
    user, session, sub_id = subscribed_to_basic(plans)
    failing = add_card(session, FAILING_CARD)
    answer = session.put(
        f"{session.base}/subscriptions/{sub_id}/",
        json={"default_payment_method": failing, "price_id": plans["premium"]},
    )
    assert answer.status_code == 402, answer.text
    assert "unchanged" in answer.json()["detail"]
    stripe_side = at_stripe(sub_id)
    assert [item.price.id for item in stripe_side["items"]["data"]] == [plans["basic"]]
    assert stripe_side.pending_update is not None
    assert Subscription.objects.get(id=sub_id).stripe_data["pending_update"] is not None  # the mirror shows it
    assert payments.is_subscribed(fresh(user), plans["premium_product"]) is False
    assert payments.is_subscribed(fresh(user), plans["basic_product"]) is True
    listed = session.get(f"{session.base}/subscriptions/{sub_id}/").json()
    assert listed["price"] == plans["basic"]

    # Paid with a good card, the change applies, and with it the access.
    get_client().v1.invoices.pay(stripe_side.latest_invoice, params={"payment_method": add_card(session)})
    assert [item.price.id for item in at_stripe(sub_id)["items"]["data"]] == [plans["premium"]]
    assert payments.is_subscribed(fresh(user), plans["premium_product"]) is True


def test_an_upgrade_is_charged_at_once_not_at_the_renewal(plans):
    user, session, sub_id = subscribed_to_basic(plans)
    answer = session.put(f"{session.base}/subscriptions/{sub_id}/", json={"price_id": plans["premium"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["price"] == plans["premium"]
    invoice = get_client().v1.invoices.retrieve(at_stripe(sub_id).latest_invoice)
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert invoice.amount_paid > 90_000  # the prorated difference for (nearly) the whole month, now
    # Cancelled at once: the upgrade was paid all the same.
    assert session.delete(f"{session.base}/subscriptions/{sub_id}/").status_code == 200
    assert get_client().v1.invoices.retrieve(invoice.id).status == "paid"


def test_more_seats_are_paid_before_they_count(plans):
    user, session, sub_id = subscribed_to_basic(plans)
    session.put(
        f"{session.base}/subscriptions/{sub_id}/", json={"default_payment_method": add_card(session, FAILING_CARD)}
    )
    answer = session.put(f"{session.base}/subscriptions/{sub_id}/", json={"quantity": 500})
    assert answer.status_code == 402
    assert at_stripe(sub_id)["items"]["data"][0].quantity == 1


def test_a_trial_is_not_moved_onto_a_price_that_grants_none(plans, settings):
    settings.STRIPE_TRIAL_PERIOD_DAYS = 14
    get_client().v1.prices.update(plans["premium"], params={"metadata": {"trial_period_days": "0"}})
    user, session = api_user(plans)
    trial = subscribe(session, price_id=plans["basic"]).json()  # no card needed for the trial
    assert trial["status"] == "trialing"

    answer = session.put(
        f"{session.base}/subscriptions/{trial['id']}/", json={"price_id": plans["premium"], "quantity": 50}
    )
    assert answer.status_code == 402  # no card: the trial's end cannot be paid
    stripe_side = at_stripe(trial["id"])
    assert (stripe_side.status, stripe_side["items"]["data"][0].price.id) == ("trialing", plans["basic"])
    assert payments.is_subscribed(fresh(user), plans["premium_product"]) is False

    card = add_card(session)
    answer = session.put(
        f"{session.base}/subscriptions/{trial['id']}/",
        json={"default_payment_method": card, "price_id": plans["premium"], "quantity": 50},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["price"], answer.json()["quantity"]) == (
        "active",
        plans["premium"],
        50,
    )
    invoice = get_client().v1.invoices.retrieve(at_stripe(trial["id"]).latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", 50 * 100_000)


def test_a_trial_moves_onto_a_price_with_the_same_trial(plans, settings):
    settings.STRIPE_TRIAL_PERIOD_DAYS = 14
    user, session = api_user(plans)
    trial = subscribe(session, price_id=plans["basic"]).json()
    answer = session.put(f"{session.base}/subscriptions/{trial['id']}/", json={"price_id": plans["premium"]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["trial_end"]) == ("trialing", trial["trial_end"])


def portal_page(session) -> tuple[str, str]:
    """Open the Billing Portal through the API (the URL of the fake's hosted portal page) and read it."""
    opened = session.post(f"{session.base}/billing/")
    assert opened.status_code == 201, opened.text
    url = opened.json()["url"]
    return url, requests.get(url, timeout=30).text


def test_the_billing_portal_sells_only_the_catalogue_and_bills_upgrades_at_once(plans):
    get_client().v1.prices.update(plans["year"], params={"active": False})
    user, session, sub_id = subscribed_to_basic(plans)
    url, page = portal_page(session)
    offered = set(re.findall(r"<option value='(price_[^']+)'", page))
    assert offered == {plans["month"], plans["basic"], plans["premium"]}  # no archived price

    session.put(
        f"{session.base}/subscriptions/{sub_id}/", json={"default_payment_method": add_card(session, FAILING_CARD)}
    )
    form = {"subscription": sub_id, "action": "update", "price": plans["premium"], "quantity": "1"}
    requests.post(url, data=form, timeout=30)
    assert [item.price.id for item in at_stripe(sub_id)["items"]["data"]] == [plans["basic"]]
    assert payments.is_subscribed(fresh(user), plans["premium_product"]) is False

    # The session's configuration is the library's own: upgrades invoiced at once, a trial ended by a change.
    portal_session = plans["fake"].get(url.rstrip("/").rsplit("/", 1)[-1])
    configuration = get_client().v1.billing_portal.configurations.retrieve(portal_session["configuration"])
    assert configuration.is_default is False
    assert configuration.features.subscription_update.proration_behavior == "always_invoice"
    assert configuration.features.subscription_update.trial_update_behavior == "end_trial"
