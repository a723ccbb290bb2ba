"""Every precompiled read returns the rows its queryset returns through the ORM (converted alike: JSON
decoded, datetimes parsed on SQLite, booleans), for each variant and under each key mode."""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_stripe.models import PaymentMethod, Price, Subscription, SubscriptionItem
from django_stripe.payments import lists, payment_methods, products
from django_stripe.payments.access import AccessRule
from django_stripe.testing.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentMethodFactory,
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

KEYS = [None, "sk_test_x", "sk_live_x"]


@pytest.fixture
def mirror():
    """Two customers' rows of both modes, some deleted or inactive, some cancelling."""
    products = [ProductFactory(payload__livemode=livemode) for livemode in (False, False, True)]
    ProductFactory(payload__active=False)
    for product in products:
        for amount, currency in ((2000, "usd"), (1000, "eur"), (None, "usd")):
            PriceFactory(payload__product=product.id, payload__unit_amount=amount, payload__currency=currency)
    PriceFactory(payload__product=products[0].id, payload__active=False)
    PriceFactory(payload__product=products[0].id, deleted=True)
    prices = list(Price.objects.filter(active=True, deleted=False).order_by("id"))
    for number, status in enumerate(["active", "trialing", "past_due", "canceled", "incomplete_expired"]):
        for customer_id in ("cus_1", "cus_2"):
            SubscriptionFactory(
                payload__customer=customer_id,
                payload__status=status,
                payload__livemode=bool(number % 2),
                payload__cancel_at_period_end=number == 1,
                payload__cancel_at=int((timezone.now() + timedelta(days=number)).timestamp()) if number else None,
                payload__price=PricePayloadFactory(**prices[number].stripe_data),
                deleted=status in ("canceled", "incomplete_expired"),
            )
            InvoiceFactory(
                payload__customer=customer_id,
                payload__status="paid" if number % 2 else "open",
                payload__subscription=Subscription.objects.latest("created").id,
            )
    cards = [PaymentMethodFactory(payload__customer="cus_1", payload__livemode=bool(n % 2)) for n in range(3)]
    PaymentMethodFactory(payload__customer="cus_1", payload__type="sepa_debit")
    CustomerFactory(payload__id="cus_1", payload__invoice_settings={"default_payment_method": cards[0].id})
    return {"product": products[0].id, "subscription": Subscription.objects.filter(customer_id="cus_1").first().id}


def same_rows(precompiled, variant, *values):
    rows = precompiled.rows(variant, *values)
    assert rows == [tuple(row) for row in precompiled.build(variant, *values)]
    return rows


@pytest.mark.parametrize("key", KEYS)
def test_catalogue(mirror, settings, key):
    settings.STRIPE_SECRET_KEY = key
    livemode = AccessRule.current().livemode
    listed = 0
    for filters in ((), (("active", True),), (("active", True), ("currency", "usd"))):
        for by_ids, ids in ((False, ()), (True, (mirror["product"], "prod_missing")), (True, ())):
            variant = products._ProductsVariant(livemode, True, filters, by_ids)
            listed += len(same_rows(products._PRODUCT_ROWS, variant, *ids))
        for of_product, product in ((False, ()), (True, (mirror["product"],))):
            same_rows(products._PRICE_ROWS, products._PricesVariant(livemode, filters, of_product), *product)
    assert listed


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("statuses", [("active", "trialing"), ("past_due", "canceled")])
def test_access_rows(mirror, settings, key, statuses):
    settings.STRIPE_SECRET_KEY = key
    rule = AccessRule(statuses, AccessRule.current().livemode)
    for customer_id in ("cus_1", "cus_2", "cus_none"):
        same_rows(products._ACCESS_ROWS, rule, customer_id)
    assert SubscriptionItem.objects.exists()


@pytest.mark.parametrize("key", KEYS)
def test_customer_lists(mirror, settings, key):
    settings.STRIPE_SECRET_KEY = key
    livemode = AccessRule.current().livemode
    for status in (None, "all", "canceled", "active", "incomplete_expired"):
        same_rows(lists._SUBSCRIPTIONS, (livemode, status), "cus_1")
    for status in (None, "paid"):
        same_rows(lists._INVOICES, (livemode, status, False), "cus_1")
        same_rows(lists._INVOICES, (livemode, status, True), "cus_1", mirror["subscription"])
    for types, filters in (
        (("card",), ()),
        (("card", "sepa_debit"), (("limit", 2),)),
        (("card",), (("type", "card"),)),
    ):
        rows = same_rows(payment_methods._FLAGGED_METHODS, (livemode, types, filters), "cus_1")
        assert all(isinstance(flag, bool) for _, flag in rows)
    assert PaymentMethod.objects.exists()
