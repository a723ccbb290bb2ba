"""ATTACK: make the REST API fail on an error whose text was written for the developer, and read it in the answer.
Over real HTTP (a live server, the fake Stripe on its own port delivering its signed webhooks).

Before, every ValueError's message went to the user (`{"detail": str(error)}`): a project hook's
(STRIPE_NEW_CUSTOMER_GET_KWARGS) that names an internal host and token, Python's own. A missing
STRIPE_SECRET_KEY answered "Stripe could not be reached" and logged "Stripe rejected the configured API key",
both untrue. Now only the library's own refusals, `StripeRequestRefused` (and its subclasses), reach the user,
with their status (400, 409 for `StripeSubscriptionExists`) and message; any other ValueError is a 400 with a
fixed message, logged at warning by its type and where it was raised, never its text. A missing setting
(`StripeNotConfigured`) is a 503 saying the service is not configured, and the log says which setting.
"""

from __future__ import annotations

import logging

import pytest

from django_stripe import payments
from django_stripe.api.errors import GENERIC_REFUSAL, as_api_exception
from django_stripe.client import get_client
from django_stripe.exceptions import StripePriceUnavailable, StripeRequestRefused, StripeSubscriptionExists
from tests.billables import billable_of

from .attacks import add_card, api_user, new_price, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

INTERNAL = "tax service at 10.0.0.7 refused token tk_internal_123"


def failing_customer_kwargs(user, **kwargs):
    """The project's STRIPE_NEW_CUSTOMER_GET_KWARGS, failing with a message meant for its developers."""
    raise ValueError(INTERNAL)


def test_the_text_of_another_value_error_never_reaches_the_user(shop, settings, caplog):
    settings.STRIPE_NEW_CUSTOMER_GET_KWARGS = failing_customer_kwargs
    _, session = api_user(shop)

    with caplog.at_level(logging.WARNING, logger="django_stripe"):
        answer = session.post(f"{session.base}/setup-intents/")

    assert (answer.status_code, answer.json()) == (400, {"detail": GENERIC_REFUSAL})
    [logged] = [record for record in caplog.records if record.name.startswith("django_stripe.api")]
    assert logged.levelno == logging.WARNING
    assert "ValueError" in logged.getMessage() and "failing_customer_kwargs" in logged.getMessage()
    assert "tk_internal_123" not in logged.getMessage() and not logged.exc_info  # its text is not written down


def test_the_librarys_own_refusal_answers_with_its_message(shop):
    """`item_change` of a subscription of several items: a StripeRequestRefused, its message for the user."""
    user, session = api_user(shop)
    card = add_card(session)
    subscription = subscribe(session, price_id=shop["month"], default_payment_method=card).json()
    add_on = new_price(shop["product"], 300)  # monthly, as the subscription's first item
    get_client().v1.subscriptions.update(subscription["id"], params={"items": [{"price": add_on}]})
    user.refresh_from_db()

    with pytest.raises(StripeRequestRefused, match="has 2 items"):
        payments.item_change(billable_of(user), subscription["id"], quantity=2)
    answer = session.put(f"{session.base}/subscriptions/{subscription['id']}/", json={"quantity": 2})
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": f"Subscription {subscription['id']} has 2 items; change them with modify_subscription."
    }


def test_each_refusal_answers_with_its_own_status_and_code():
    for error, status, code in (
        (StripeRequestRefused("No."), 400, "request_refused"),
        (StripePriceUnavailable("The price 'price_x' is no longer available."), 400, "price_unavailable"),
        (StripeSubscriptionExists("prod_x", "sub_x"), 409, "subscription_exists"),
    ):
        answer = as_api_exception(error)
        assert (answer.status_code, answer.detail, answer.detail.code) == (status, str(error), code)


def test_a_missing_secret_key_is_said_to_be_a_configuration_not_stripe(shop, settings, monkeypatch, caplog):
    _, session = api_user(shop)
    settings.STRIPE_SECRET_KEY = None
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)

    with caplog.at_level(logging.WARNING, logger="django_stripe"):
        answer = session.post(f"{session.base}/setup-intents/")

    assert answer.status_code == 503
    assert "not configured" in answer.json()["detail"] and "Stripe could not be reached" not in answer.text
    assert "STRIPE_SECRET_KEY" not in answer.text
    logged = [record.getMessage() for record in caplog.records if record.name.startswith("django_stripe.api")]
    assert len(logged) == 1 and "STRIPE_SECRET_KEY is not set" in logged[0]
    assert "rejected" not in logged[0]
