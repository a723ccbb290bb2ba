"""One live subscription per product per customer, over real HTTP (REST on a live server, the fake Stripe over
HTTP, its hosted Checkout page submitted as a buyer would).

Before the fix two `POST /api/subscriptions/` with two prices of one product gave two live subscriptions:
double billing for a confused user, and with a trial on each, a second trial for a clever one. A second is now
refused with 409 naming the first (change it with PUT), whether it was started by the API or by Checkout.
"""

from __future__ import annotations

import threading

import pytest

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.exceptions import StripeSubscriptionExists
from tests.billables import billable_of

from .attacks import add_card, api_user, open_checkout, pay_on_checkout_page, subscribe, subscriptions_at_stripe

pytestmark = pytest.mark.django_db(transaction=True)


def live(user) -> list:
    return subscriptions_at_stripe(user, status="active") + subscriptions_at_stripe(user, status="trialing")


def test_a_second_subscription_to_the_product_is_refused(shop):
    user, session = api_user(shop)
    card = add_card(session)
    first = subscribe(session, price_id=shop["month"], default_payment_method=card)
    assert first.status_code == 201, first.text
    second = subscribe(session, price_id=shop["year"], default_payment_method=card)
    assert second.status_code == 409
    assert first.json()["id"] in second.json()["detail"]
    assert [s.id for s in live(user)] == [first.json()["id"]]
    with pytest.raises(StripeSubscriptionExists):
        payments.create_subscription(billable_of(user), shop["year"], default_payment_method=card)
    # Changing the one there is is the way to the other price.
    moved = session.put(f"{session.base}/subscriptions/{first.json()['id']}/", json={"price_id": shop["year"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["price"] == shop["year"]


def test_a_checkout_for_a_product_already_subscribed_is_refused(shop):
    user, session = api_user(shop)
    first = subscribe(session, price_id=shop["month"], default_payment_method=add_card(session))
    answer = session.post(f"{session.base}/checkout/{shop['year']}/")
    assert answer.status_code == 409
    assert first.json()["id"] in answer.json()["detail"]
    assert get_client().v1.checkout.sessions.list(params={"customer": billable_of(user).stripe_customer_id}).data == []


def test_an_open_checkout_cannot_add_a_second_subscription_later(shop):
    user, session = api_user(shop)
    checkout = open_checkout(session, shop["month"])
    first = subscribe(session, price_id=shop["year"], default_payment_method=add_card(session))
    assert first.status_code == 201, first.text
    assert pay_on_checkout_page(checkout) is False  # expired when the subscription started
    assert [s.id for s in live(user)] == [first.json()["id"]]


def test_a_checkout_completed_before_its_webhook_still_counts(shop):
    user, session = api_user(shop)
    checkout = open_checkout(session, shop["month"])
    shop["fake"].delivery_mode = "queued"
    assert pay_on_checkout_page(checkout)
    shop["fake"].delivery_mode = "immediate"
    second = subscribe(session, price_id=shop["year"], default_payment_method=add_card(session))
    assert second.status_code == 409
    assert len(live(user)) == 1


def test_a_cancelled_subscription_does_not_count(shop):
    user, session = api_user(shop)
    card = add_card(session)
    first = subscribe(session, price_id=shop["month"], default_payment_method=card).json()
    assert session.delete(f"{session.base}/subscriptions/{first['id']}/").status_code == 200
    again = subscribe(session, price_id=shop["year"], default_payment_method=card)
    assert again.status_code == 201, again.text


def test_a_project_may_allow_several(shop, settings):
    settings.STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT = True
    user, session = api_user(shop)
    card = add_card(session)
    for price in (shop["month"], shop["year"]):
        assert subscribe(session, price_id=price, default_payment_method=card).status_code == 201
    assert len(live(user)) == 2


@pytest.mark.postgres
def test_two_requests_at_once_start_one(shop):
    user, session = api_user(shop)
    card = add_card(session)
    answers = []
    barrier = threading.Barrier(2)

    def send(price):
        barrier.wait()
        answers.append(subscribe(session, price_id=price, default_payment_method=card))

    threads = [threading.Thread(target=send, args=(price,)) for price in (shop["month"], shop["year"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201, 409]
    assert len(live(user)) == 1
