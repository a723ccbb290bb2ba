"""The async reads give a user nothing of another customer's: each is its sync twin, for the user it is given."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser

from django_stripe.payments import async_reads
from django_stripe.testing.factories import (
    ActiveEntitlementFactory,
    InvoiceFactory,
    PricePayloadFactory,
    SubscriptionFactory,
)
from tests.billables import user_model_only

pytestmark = [
    pytest.mark.django_db,
    user_model_only(
        reason=(
            "the async reads are the sync ones run on a thread (tested in the team pass); "
            "these read request.user's own customer"
        )
    ),
]

PRODUCT = "prod_paid_for"


@pytest.fixture
def payer_and_other(make_user, settings):
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT
    subscription = SubscriptionFactory(
        payload__customer="cus_payer", payload__price=PricePayloadFactory(product=PRODUCT)
    )
    InvoiceFactory(payload__customer="cus_payer", payload__subscription=subscription.id)
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_payer")
    return make_user("payer", stripe_customer_id="cus_payer"), make_user("other", stripe_customer_id="cus_other")


def answers(user) -> tuple:
    def run(read, *args):
        return async_to_sync(read)(user, *args)

    return (
        run(async_reads.ais_subscribed),
        run(async_reads.ais_subscribed_with_cache),
        run(async_reads.ahas_entitlement, "exports"),
        run(async_reads.asubscription_payloads, "all"),
        run(async_reads.ainvoice_payloads),
        run(async_reads.apayment_method_payloads),
    )


def test_another_customer_and_an_anonymous_user_get_nothing_of_the_payers(payer_and_other):
    payer, other = payer_and_other
    assert answers(payer)[:3] == (True, True, True) and all(answers(payer)[3:5])
    assert answers(other) == (False, False, False, [], [], [])
    assert answers(AnonymousUser()) == (False, False, False, [], [], [])


def test_a_cached_answer_of_the_payer_is_not_served_to_another_customer(payer_and_other):
    payer, other = payer_and_other
    assert async_to_sync(async_reads.ais_subscribed_with_cache)(payer) is True
    assert async_to_sync(async_reads.ais_subscribed_with_cache)(other) is False
