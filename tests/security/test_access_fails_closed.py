"""ATTACK: subscribe to the cheapest product of the shop (an add-on), then open what the main product pays for.

Over real HTTP (a live server, the fake Stripe on its own port delivering its signed webhooks), with a project
that names no product in its access checks (`IsSubscribed`, `@subscription_required`, `is_subscribed(user)`) and
sets no STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID. Before, such a check passed for a subscription to ANY product, so
the add-on unlocked everything. Now a check that has no product to check raises StripeNotConfigured, saying what
to set, and the two view gates deny (403, as to a user without a subscription: nothing is given away) and log
the misconfiguration once; `manage.py check` warns of it (django_stripe.W004). "Any product" is only ever the
project's explicit choice: STRIPE_ACCESS_ANY_PRODUCT = True.
"""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse
from django.urls import path
from example_project.urls import urlpatterns as site_urls
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_stripe import payments
from django_stripe.api.permissions import IsSubscribed
from django_stripe.client import get_client
from django_stripe.exceptions import StripeNotConfigured
from tests.billables import billable_of

from .attacks import add_card, api_user, new_price, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_REPORT = "the numbers the main product pays for"


class ReportAccess(IsSubscribed):
    """The project's permission: IsSubscribed naming no product, as the README's first example does."""


class Report(APIView):
    permission_classes = [IsAuthenticated, ReportAccess]

    def get(self, request):
        return Response({"report": SECRET_REPORT})


@payments.subscription_required
def report_page(request):
    return HttpResponse(SECRET_REPORT)


urlpatterns = [
    path("report/", Report.as_view()),
    path("report-page/", report_page),
    *site_urls,
]


@pytest.fixture
def add_on_subscriber(shop, settings):
    """A user subscribed to the shop's cheapest product only (not to Gold), in a project whose access checks
    name no product; their card is `session.card`."""
    settings.ROOT_URLCONF = __name__
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = None
    add_on = get_client().v1.products.create(params={"name": "Sticker pack"})
    user, session = api_user(shop)
    session.card = add_card(session)
    subscribed = subscribe(session, price_id=new_price(add_on.id, 100), default_payment_method=session.card)
    assert subscribed.status_code == 201, subscribed.text
    user.refresh_from_db()
    return user, session


def gated_pages(shop, session) -> dict[str, tuple[int, str]]:
    answers = {page: session.get(f"{shop['url']}/{page}/") for page in ("report", "report-page")}
    return {page: (answer.status_code, answer.text) for page, answer in answers.items()}


def test_a_subscription_to_another_product_opens_no_gate_that_names_none(shop, add_on_subscriber, caplog):
    _, session = add_on_subscriber
    with caplog.at_level(logging.ERROR, logger="django_stripe"):
        first, second = gated_pages(shop, session), gated_pages(shop, session)

    for answers in (first, second):
        assert answers["report"][0] == 403 and SECRET_REPORT not in answers["report"][1]
        assert answers["report-page"][0] == 403 and SECRET_REPORT not in answers["report-page"][1]
        assert "STRIPE_" not in answers["report"][1] + answers["report-page"][1]  # the user learns nothing
    logged = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len([message for message in logged if "ReportAccess" in message]) == 1  # once, not per request
    assert len([message for message in logged if "report_page" in message]) == 1
    assert all("STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID" in message for message in logged)


def test_the_access_checks_that_name_no_product_raise_saying_what_to_set(shop, add_on_subscriber):
    user, _ = add_on_subscriber
    for check in (payments.is_subscribed, payments.is_subscribed_with_cache, payments.is_subscribed_and_cancelled_time):
        with pytest.raises(StripeNotConfigured, match="STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID.*STRIPE_ACCESS_ANY"):
            check(user)
    assert payments.is_subscribed(billable_of(user), shop["product"]) is False  # a product named: answered as ever


def test_the_default_product_is_what_the_gates_check(shop, add_on_subscriber, settings):
    user, session = add_on_subscriber
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = shop["product"]
    assert {page: status for page, (status, _) in gated_pages(shop, session).items()} == {
        "report": 403,
        "report-page": 403,
    }
    assert payments.is_subscribed(billable_of(user)) is False

    assert subscribe(session, price_id=shop["month"], default_payment_method=session.card).status_code == 201
    answers = gated_pages(shop, session)
    assert answers["report"] == (200, f'{{"report":"{SECRET_REPORT}"}}')
    assert answers["report-page"] == (200, SECRET_REPORT)


def test_any_product_only_when_the_project_says_so(shop, add_on_subscriber, settings):
    user, session = add_on_subscriber
    settings.STRIPE_ACCESS_ANY_PRODUCT = True
    assert {page: status for page, (status, _) in gated_pages(shop, session).items()} == {
        "report": 200,
        "report-page": 200,
    }
    assert payments.is_subscribed(billable_of(user)) is True
    assert payments.is_subscribed_and_cancelled_time(billable_of(user))["sub_id"] is not None


def test_the_checkout_page_does_not_take_the_add_on_for_a_subscription(shop, add_on_subscriber, settings):
    """The self-hosted checkout without a default product: before, it told the add-on's subscriber "You are
    subscribed" (to any product) and offered nothing; now there is no product to say that of."""
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_security"
    _, session = add_on_subscriber
    page = session.get(f"{shop['url']}/")
    assert page.status_code == 200
    assert "You are subscribed" not in page.text
    assert shop["month"] in page.text and shop["year"] in page.text
