import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as RestPermissionDenied

from django_stripe import payments
from django_stripe.testing.factories import (
    PriceFactory,
    PricePayloadFactory,
    ProductFactory,
    SubscriptionFactory,
)
from tests.billables import billable_of, user_model_only

pytestmark = pytest.mark.django_db


def catalogue(products=1, prices_each=2):
    made = []
    for _ in range(products):
        product = ProductFactory()
        for amount in range(prices_each):
            PriceFactory(payload__product=product.id, payload__unit_amount=1000 + amount)
        made.append(product)
    return made


def test_products_have_prices_and_subscription_info(make_user):
    user = make_user(stripe_customer_id="cus_1")
    (product,) = catalogue()
    subscribed_price = product.prices.order_by("unit_amount").first()
    subscription = SubscriptionFactory(payload__customer="cus_1", payload__price=subscribed_price.stripe_data)
    (listed,) = payments.get_products(billable_of(user))
    assert set(listed) >= {
        "id",
        "images",
        "metadata",
        "name",
        "prices",
        "shippable",
        "subscription_info",
        "type",
        "unit_label",
        "url",
    }
    assert listed["subscription_info"] == {
        "subscribed": True,
        "cancel_at": None,
        "current_period_end": int(subscription.current_period_end.timestamp()),
    }
    first, second = listed["prices"]
    assert set(first) >= {
        "id",
        "recurring",
        "type",
        "currency",
        "unit_amount",
        "unit_amount_decimal",
        "nickname",
        "metadata",
        "product",
        "subscription_info",
    }
    assert first["id"] == subscribed_price.id and first["subscription_info"]["subscribed"] is True
    assert second["subscription_info"] == {"subscribed": False, "cancel_at": None, "current_period_end": None}


@pytest.mark.parametrize("count", [1, 100])
def test_products_take_two_queries_however_many(make_user, django_assert_num_queries, count):
    """Products with their prices in one query, what the user is subscribed to in the other."""
    user, without_customer = make_user(stripe_customer_id="cus_1"), make_user("bob")
    catalogue(products=count)
    with django_assert_num_queries(2):
        assert len(payments.get_products(billable_of(user))) == count
    with django_assert_num_queries(1):  # subscribed to nothing: no query for it
        assert len(payments.get_products(billable_of(without_customer))) == count


def test_inactive_and_deleted_are_left_out(make_user):
    (kept,) = catalogue()
    ProductFactory(payload__active=False)
    ProductFactory(deleted=True)
    PriceFactory(payload__product=kept.id, payload__active=False)
    (listed,) = payments.get_products(billable_of(make_user()))
    assert listed["id"] == kept.id
    assert len(listed["prices"]) == 2


def test_products_by_ids_and_price_filters(make_user):
    first, second = catalogue(products=2)
    PriceFactory(payload__product=first.id, payload__currency="eur")
    (listed,) = payments.get_products(make_user(), ids=[first.id], price_kwargs={"currency": "eur"})
    assert listed["id"] == first.id
    assert [price["currency"] for price in listed["prices"]] == ["eur"]


def test_unknown_filters_are_refused(make_user):
    with pytest.raises(TypeError, match="color"):
        payments.get_products(make_user(), price_kwargs={"color": "red"}, rest=True)


def test_prices_by_product_and_currency(make_user):
    first, second = catalogue(products=2)
    PriceFactory(payload__product=second.id, payload__currency="eur")
    prices = payments.get_prices(make_user(), product=second.id, currency="eur")
    assert [(p["product"], p["currency"]) for p in prices] == [(second.id, "eur")]
    assert len(payments.get_prices(billable_of(make_user("bob")))) == 5


def test_retrieve_product_and_price(make_user):
    (product,) = catalogue()
    user = make_user()
    assert payments.retrieve_product(billable_of(user), product.id)["id"] == product.id
    price = product.prices.first()
    assert payments.retrieve_price(billable_of(user), price.id)["product"] == product.id
    with pytest.raises(Http404):
        payments.retrieve_product(billable_of(user), "prod_missing")
    with pytest.raises(NotFound):
        payments.retrieve_price(billable_of(user), "price_missing", rest=True)
    with pytest.raises(Http404, match="No such price: 'price_missing'"):  # the same error is both families
        payments.retrieve_price(billable_of(user), "price_missing", rest=True)


def test_default_product_only(make_user, settings):
    allowed, other = catalogue(products=2)
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = allowed.id
    settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY = True
    user = make_user()
    assert [p["id"] for p in payments.get_products(billable_of(user))] == [allowed.id]
    assert {p["product"] for p in payments.get_prices(billable_of(user))} == {allowed.id}
    with pytest.raises(PermissionDenied):
        payments.get_products(billable_of(user), ids=[other.id])
    with pytest.raises(RestPermissionDenied):
        payments.retrieve_product(billable_of(user), other.id, rest=True)
    with pytest.raises(PermissionDenied, match=f"Cannot access product {other.id}"):
        payments.retrieve_product(billable_of(user), other.id)
    with pytest.raises(PermissionDenied):
        payments.retrieve_price(billable_of(user), other.prices.first().id)
    with pytest.raises(PermissionDenied):
        payments.get_prices(billable_of(user), product=other.id)
    settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY = "False"  # the original design documents it as a string
    assert [p["id"] for p in payments.get_products(billable_of(user))] == [allowed.id, other.id]


@user_model_only(reason="free access is the user's allowed_access_until; the example's Team has no such field")
def test_free_access_marks_every_product_and_the_free_price(make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    (product,) = catalogue()
    free_price = PriceFactory(payload=PricePayloadFactory(product=product.id, unit_amount=0))
    settings.STRIPE_FREE_ACCESS_PRICE_ID = free_price.id
    user = make_user(allowed_access_until=timezone.now() + timedelta(days=3))
    (listed,) = payments.get_products(billable_of(user))
    assert listed["subscription_info"]["subscribed"] is True
    subscribed = {p["id"] for p in listed["prices"] if p["subscription_info"]["subscribed"]}
    assert subscribed == {free_price.id}
