"""Bad input gets Stripe's 400, never a crash: billing intervals, malformed nested parameters, nested
metadata; and what the fake did not foresee is Stripe's 500 `api_error`, logged, never a dropped connection."""

import logging

import pytest
import stripe

from django_stripe.client import get_client
from django_stripe.testing.fake.clock import period_end_after


def price_with(client, recurring):
    return client.v1.prices.create(
        {"product_data": {"name": "P"}, "currency": "usd", "unit_amount": 100, "recurring": recurring}
    )


@pytest.mark.parametrize(
    "recurring",
    [
        {"interval": "month", "interval_count": 0},
        {"interval": "week", "interval_count": -2},
        {"interval": "month", "interval_count": 37},
        {"interval": "year", "interval_count": 4},
        {"interval": "day", "interval_count": 366},
        {"interval": "week", "interval_count": "often"},
    ],
)
def test_interval_count_out_of_range_is_a_400(client, recurring):
    with pytest.raises(stripe.InvalidRequestError) as error:
        price_with(client, recurring)
    assert error.value.http_status == 400
    assert error.value.code == "parameter_invalid_integer" and error.value.param == "recurring[interval_count]"


def test_interval_count_limits_are_accepted_and_bill(client, fake, customer):
    assert price_with(client, {"interval": "day", "interval_count": 365}).recurring.interval_count == 365
    assert price_with(client, {"interval": "week", "interval_count": 156}).recurring.interval_count == 156
    price = price_with(client, {"interval": "month", "interval_count": 36})
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    item = subscription["items"].data[0]
    assert 3 * 365 * 86400 <= item.current_period_end - item.current_period_start <= 3 * 366 * 86400


@pytest.mark.parametrize("count", [0, -1])
def test_a_billing_cycle_that_does_not_move_is_refused(count):
    with pytest.raises(ValueError, match="at least 1"):
        period_end_after(0, 10, "month", count)


@pytest.mark.parametrize(
    ("items", "param", "code"),
    [("abc", "items", "parameter_invalid_array"), (["x"], "items[0]", "parameter_invalid_object")],
)
def test_malformed_subscription_items_are_a_400(client, customer, price, items, param, code):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create({"customer": customer.id, "items": items})
    assert error.value.http_status == 400 and error.value.code == code and error.value.param == param

    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.update(subscription.id, {"items": items})
    assert error.value.http_status == 400 and error.value.code == code


def test_malformed_checkout_line_items_and_product_features_are_a_400(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(
            {"mode": "subscription", "line_items": ["p"], "success_url": "https://example.com"}
        )
    assert error.value.code == "parameter_invalid_object" and error.value.param == "line_items[0]"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.create({"name": "P", "marketing_features": ["fast"]})
    assert error.value.code == "parameter_invalid_object" and error.value.param == "marketing_features[0]"


def test_an_object_where_a_string_belongs_is_a_400(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.create({"name": "P", "id": {"a": "b"}})
    assert error.value.code == "parameter_invalid_string" and error.value.param == "id"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.events.list({"types": [{"a": "b"}]})
    assert error.value.code == "parameter_invalid_string" and error.value.param == "types[0]"


def test_nested_metadata_is_a_400(client, fake):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.customers.create({"metadata": {"a": {"b": "1"}}})
    assert error.value.http_status == 400
    assert error.value.code == "parameter_invalid_string" and error.value.param == "metadata[a]"
    assert fake.events == []  # nothing was created

    customer = client.v1.customers.create({"metadata": {"a": "1"}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, {"metadata": {"a": ["x"]}})
    assert client.v1.customers.retrieve(customer.id).metadata.to_dict() == {"a": "1"}


def test_an_unforeseen_failure_is_a_logged_500_in_stripes_format(fake, settings, caplog):
    # A subscription stored by hand without its items: listing by price trips over it inside the fake.
    with fake.locked():
        fake.store.add({"id": "sub_handmade", "object": "subscription", "status": "active", "customer": None})
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    with caplog.at_level(logging.ERROR, logger="fake_stripe"), pytest.raises(stripe.APIError) as error:
        get_client().v1.subscriptions.list({"price": "price_x"})
    assert error.value.http_status == 500
    body = error.value.json_body["error"]
    assert body["type"] == "api_error" and "KeyError" in body["message"]
    assert error.value.request_id.startswith("req_")
    assert error.value.headers["Stripe-Should-Retry"] == "false"
    failures = [r for r in caplog.records if r.name == "fake_stripe.core"]
    assert len(failures) == 1 and failures[0].exc_info  # logged with its traceback, and not retried
    assert get_client().v1.customers.list().data == []  # the fake still answers


def test_removing_every_item_is_a_400_that_leaves_the_subscription_as_it_was(client, fake, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "payment_behavior": "default_incomplete"}
    )
    (item,) = subscription["items"].data
    with pytest.raises(stripe.InvalidRequestError, match="at least one active plan"):
        client.v1.subscriptions.update(subscription.id, {"items": [{"id": item.id, "deleted": True}]})
    kept = client.v1.subscriptions.retrieve(subscription.id)
    assert [i.id for i in kept["items"].data] == [item.id]
    fake.advance_clock(40 * 86400)  # the next period is billed on the kept item
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].id == item.id


def test_an_update_that_fails_on_one_item_changes_none(client, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "payment_behavior": "default_incomplete"}
    )
    (item,) = subscription["items"].data
    with pytest.raises(stripe.InvalidRequestError, match="price_missing"):
        client.v1.subscriptions.update(
            subscription.id, {"items": [{"id": item.id, "deleted": True}, {"price": "price_missing"}]}
        )
    assert [i.id for i in client.v1.subscriptions.retrieve(subscription.id)["items"].data] == [item.id]


def test_a_price_can_be_swapped_for_another_interval_in_one_update(client, customer, price):
    yearly = client.v1.prices.create(
        {"product": price.product, "currency": "usd", "unit_amount": 20000, "recurring": {"interval": "year"}}
    )
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "payment_behavior": "default_incomplete"}
    )
    (item,) = subscription["items"].data
    updated = client.v1.subscriptions.update(
        subscription.id, {"items": [{"price": yearly.id}, {"id": item.id, "deleted": True}]}
    )
    assert [i.price.id for i in updated["items"].data] == [yearly.id]
