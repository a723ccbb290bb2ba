"""Attacks on what a subscription costs, over real HTTP: the REST API on a live server, the fake Stripe served
over HTTP and delivering its signed webhooks to it. A user must not obtain access, a trial or a discount by
anything they send, nor buy an archived price.

Each test failed on the code before these were closed: the API took `trial_period_days` (1-730) from the body,
answered 200 for an archived price, and the Python writes forwarded any Stripe parameter.
"""

from __future__ import annotations

import pytest
import stripe
from django.contrib.auth import get_user_model

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.exceptions import StripeWrongCustomer
from django_stripe.models import Price
from tests.billables import billable_of

from .attacks import DAY, add_card, api_user, new_price, subscribe, subscriptions_at_stripe

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_body_cannot_grant_itself_a_trial(shop):
    user, session = api_user(shop)
    response = subscribe(session, price_id=shop["month"], trial_period_days=730)
    assert response.status_code == 400
    assert "trial_period_days" in response.json()
    assert subscriptions_at_stripe(user) == []
    assert payments.is_subscribed(get_user_model().objects.get(pk=user.pk), shop["product"]) is False
    for body in ({"trial_end": 4_000_000_000}, {"trial_from_plan": True}, {"coupon": "FREE"}, {"discounts": []}):
        assert subscribe(session, price_id=shop["month"], **body).status_code == 400
    assert subscriptions_at_stripe(user) == []


def test_the_projects_trial_is_granted_once_per_customer(shop, settings):
    settings.STRIPE_TRIAL_PERIOD_DAYS = 14
    user, session = api_user(shop)
    first = subscribe(session, price_id=shop["month"])
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "trialing"
    assert first.json()["trial_end"] - first.json()["trial_start"] == 14 * DAY
    assert session.delete(f"{session.base}/subscriptions/{first.json()['id']}/", timeout=30).status_code == 200

    card = add_card(session)
    again = subscribe(session, price_id=shop["month"], default_payment_method=card)
    assert again.status_code == 201, again.text
    assert (again.json()["status"], again.json()["trial_end"]) == ("active", None)  # paid, no second trial
    assert [s.status for s in subscriptions_at_stripe(user)].count("trialing") == 0


def test_a_price_may_set_its_own_trial_or_none(shop, settings):
    settings.STRIPE_TRIAL_PERIOD_DAYS = 14
    client = get_client()
    client.v1.prices.update(shop["year"], params={"metadata": {"trial_period_days": "0"}})
    add_on = new_price(client.v1.products.create(params={"name": "Add-on"}).id, 500)
    client.v1.prices.update(add_on, params={"metadata": {"trial_period_days": "3"}})
    _, session = api_user(shop)
    card = add_card(session)
    yearly = subscribe(session, price_id=shop["year"], default_payment_method=card).json()
    assert (yearly["status"], yearly["trial_end"]) == ("active", None)
    # This customer never had a trial: the add-on price's own trial applies.
    monthly = subscribe(session, price_id=add_on).json()
    assert monthly["status"] == "trialing" and monthly["trial_end"] - monthly["trial_start"] == 3 * DAY


def test_checkout_carries_the_projects_trial_and_never_a_second(shop, settings):
    settings.STRIPE_TRIAL_PERIOD_DAYS = 7
    user, session = api_user(shop)
    opened = session.post(f"{session.base}/checkout/{shop['month']}/", timeout=30)
    assert opened.status_code == 201, opened.text
    completed = shop["fake"].complete_checkout_session(opened.json()["id"])
    first = get_client().v1.subscriptions.retrieve(completed["subscription"])
    assert first.status == "trialing" and first.trial_end - first.trial_start == 7 * DAY
    assert session.delete(f"{session.base}/subscriptions/{first.id}/", timeout=30).status_code == 200

    again = session.post(f"{session.base}/checkout/{shop['month']}/", timeout=30).json()
    second = get_client().v1.subscriptions.retrieve(shop["fake"].complete_checkout_session(again["id"])["subscription"])
    assert (second.status, second.trial_end) == ("active", None)


def test_promotion_codes_only_when_the_project_allows_them(shop, settings):
    _, session = api_user(shop)
    card = add_card(session)
    refused = subscribe(session, price_id=shop["month"], default_payment_method=card, promotion_code="promo_X")
    assert refused.status_code == 400
    assert refused.json() == {"promotion_code": ["Promotion codes are not accepted."]}
    opened = session.post(f"{session.base}/checkout/{shop['month']}/", timeout=30).json()
    assert not shop["fake"].get(opened["id"]).get("allow_promotion_codes")

    settings.STRIPE_ALLOW_PROMOTION_CODES = True
    opened = session.post(f"{session.base}/checkout/{shop['month']}/", timeout=30).json()
    assert shop["fake"].get(opened["id"])["allow_promotion_codes"] is True


def test_an_archived_price_is_neither_shown_nor_sold(shop):
    get_client().v1.prices.update(shop["year"], params={"active": False})
    assert Price.objects.get(id=shop["year"]).active is False  # mirrored by its webhook
    user, session = api_user(shop)
    assert session.get(f"{session.base}/prices/{shop['year']}/", timeout=30).status_code == 404
    assert shop["year"] not in [p["id"] for p in session.get(f"{session.base}/prices/", timeout=30).json()]
    assert session.get(f"{session.base}/prices/{shop['month']}/", timeout=30).status_code == 200

    card = add_card(session)
    refused = subscribe(session, price_id=shop["year"], default_payment_method=card)
    assert refused.status_code == 400
    assert refused.json()["detail"] == f"The price '{shop['year']}' is no longer available."
    assert session.post(f"{session.base}/checkout/{shop['year']}/", timeout=30).status_code == 400
    assert subscriptions_at_stripe(user) == []


def test_a_price_of_an_archived_product_is_not_sold(shop):
    get_client().v1.products.update(shop["product"], params={"active": False})
    user, session = api_user(shop)
    card = add_card(session)
    refused = subscribe(session, price_id=shop["month"], default_payment_method=card)
    assert refused.status_code == 400
    assert subscriptions_at_stripe(user) == []


def test_a_price_created_a_moment_ago_is_fetched_once_and_sold(shop):
    shop["fake"].delivery_mode = "queued"  # its price.created webhook is still on the way
    fresh = get_client().v1.prices.create(
        params={"product": shop["product"], "currency": "usd", "unit_amount": 500, "recurring": {"interval": "week"}}
    )
    shop["fake"].delivery_mode = "immediate"
    _, session = api_user(shop)
    card = add_card(session)
    response = subscribe(session, price_id=fresh.id, default_payment_method=card)
    assert response.status_code == 201, response.text
    assert Price.objects.get(id=fresh.id).active is True


PAID_FOR_BY_PARAMETERS = {
    "a custom amount": {"items": [{"price_data": {"currency": "usd", "unit_amount": 1, "product": "prod_x"}}]},
    "a discount": {"discounts": [{"coupon": "FREE"}]},
    "an item discount": {"items": [{"price": "PRICE", "discounts": [{"coupon": "FREE"}]}]},
    "a credit": {"add_invoice_items": [{"price_data": {"currency": "usd", "unit_amount": -100000}}]},
    "paused collection": {"pause_collection": {"behavior": "void"}},
    "an expansion": {"expand": ["customer"]},
    "an invoice sent later": {"collection_method": "send_invoice", "days_until_due": 30},
}


@pytest.mark.parametrize("attack", PAID_FOR_BY_PARAMETERS)
def test_subscription_writes_forward_no_parameter_that_changes_what_is_paid(shop, attack):
    user, session = api_user(shop)
    card = add_card(session)
    sub = payments.create_subscription(billable_of(user), shop["month"], default_payment_method=card)
    before = shop["fake"].get(sub.id)
    params = {
        key: [{**item, "price": shop["year"]} if item.get("price") == "PRICE" else item for item in value]
        if key == "items"
        else value
        for key, value in PAID_FOR_BY_PARAMETERS[attack].items()
    }
    for write in (
        lambda: payments.modify_subscription(billable_of(user), sub.id, **params),
        lambda: payments.modify(billable_of(user), stripe.Subscription, sub.id, **params),
        lambda: payments.create_subscription(billable_of(user), shop["year"], **params),
    ):
        with pytest.raises(TypeError, match="does not forward|always the user's own"):
            write()
    assert shop["fake"].get(sub.id) == before
    assert len(subscriptions_at_stripe(user)) == 1


def test_an_item_of_another_subscription_cannot_be_changed(shop):
    victim, victim_session = api_user(shop, "victim")
    victim_sub = payments.create_subscription(
        billable_of(victim), shop["month"], default_payment_method=add_card(victim_session)
    )
    user, session = api_user(shop)
    mine = payments.create_subscription(billable_of(user), shop["month"], default_payment_method=add_card(session))
    victim_item = victim_sub["items"]["data"][0]["id"]
    before = shop["fake"].get(victim_sub.id)
    with pytest.raises(StripeWrongCustomer):
        payments.modify_subscription(billable_of(user), mine.id, items=[{"id": victim_item, "quantity": 50}])
    assert shop["fake"].get(victim_sub.id) == before


def test_customer_and_checkout_writes_forward_only_their_parameters(shop):
    user, session = api_user(shop)
    add_card(session)
    user.refresh_from_db()
    before = shop["fake"].get(billable_of(user).stripe_customer_id)
    for write in (
        lambda: payments.modify_customer(billable_of(user), balance=-100_000),
        lambda: payments.modify_customer(billable_of(user), coupon="FREE"),
        lambda: payments.modify(
            billable_of(user), stripe.Customer, billable_of(user).stripe_customer_id, balance=-100_000
        ),
        lambda: payments.create_checkout(
            billable_of(user),
            mode="payment",
            line_items=[{"price_data": {"currency": "usd", "unit_amount": 1}, "quantity": 1}],
        ),
        lambda: payments.create_checkout(billable_of(user), mode="subscription", discounts=[{"coupon": "FREE"}]),
        lambda: payments.create_setup_intent(billable_of(user), confirm=True),
    ):
        with pytest.raises(TypeError, match="does not forward"):
            write()
    assert shop["fake"].get(billable_of(user).stripe_customer_id) == before
    assert get_client().v1.checkout.sessions.list().data == []


def test_a_default_payment_method_of_another_customer_is_refused(shop):
    victim, victim_session = api_user(shop, "victim")
    victims_card = add_card(victim_session)
    user, session = api_user(shop)
    add_card(session)
    user.refresh_from_db()
    with pytest.raises(StripeWrongCustomer):
        payments.modify_customer(billable_of(user), invoice_settings={"default_payment_method": victims_card})
    assert shop["fake"].get(billable_of(user).stripe_customer_id)["invoice_settings"]["default_payment_method"] is None
