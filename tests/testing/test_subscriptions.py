import pytest
import stripe


def types_since(fake, count):
    return [e["type"] for e in fake.events[count:]]


def test_subscription_with_a_price(client, fake, customer, price):
    before = len(fake.events)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert item.price.id == price.id and item.quantity == 1
    assert item.current_period_end > item.current_period_start == subscription.start_date
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.status == "paid" and invoice.amount_paid == 2000 and invoice.billing_reason == "subscription_create"
    assert invoice.lines.data[0].parent.subscription_item_details.subscription_item == item.id
    assert types_since(fake, before) == [
        "payment_method.attached",
        "customer.updated",  # the customer's currency
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    assert [i.id for i in client.v1.invoices.list({"subscription": subscription.id}).data] == [invoice.id]
    assert [i.id for i in client.v1.invoices.list({"customer": customer.id, "status": "paid"}).data] == [invoice.id]
    assert client.v1.subscription_items.list({"subscription": subscription.id}).data[0].id == item.id


def test_customer_default_payment_method_is_charged(client, customer, price):
    payment_method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": payment_method.id}})
    subscription = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    assert subscription.status == "active"


def test_no_payment_method_is_an_error(client, customer, price):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})


def test_declined_card_leaves_it_incomplete(client, fake, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_chargeDeclined"}
    )
    assert subscription.status == "incomplete"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert fake.events[-1]["type"] == "invoice.payment_failed"

    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice.id)
    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert fake.events[-1]["type"] == "customer.subscription.updated"
    assert fake.events[-1]["data"]["previous_attributes"] == {"status": "incomplete"}


def test_error_if_incomplete(client, fake, customer, price):
    count = len(fake.events)
    with pytest.raises(stripe.CardError) as error:
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": price.id}],
                "default_payment_method": "pm_card_chargeDeclined",
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert error.value.http_status == 402 and error.value.code == "card_declined"
    assert "customer.subscription.created" not in types_since(fake, count)


def test_default_incomplete_waits_for_payment(client, customer, price):
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice"],
        }
    )
    assert subscription.status == "incomplete" and subscription.latest_invoice.status == "open"
    client.v1.invoices.pay(subscription.latest_invoice.id, {"payment_method": "pm_card_visa"})
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_trialing(client, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 14}
    )
    assert subscription.status == "trialing"
    assert subscription.trial_end - subscription.trial_start == 14 * 86400
    assert subscription["items"].data[0].current_period_end == subscription.trial_end
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.amount_due == 0 and invoice.status == "paid"


def test_updates(client, fake, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    item = subscription["items"].data[0]
    yearly = client.v1.prices.create(
        {"product": price.product, "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}}
    )
    swapped = client.v1.subscriptions.update(
        subscription.id, {"items": [{"id": item.id, "price": yearly.id, "quantity": 3}], "metadata": {"plan": "b"}}
    )
    new_item = swapped["items"].data[0]
    assert new_item.id == item.id and new_item.price.id == yearly.id and new_item.quantity == 3
    assert swapped.metadata.to_dict() == {"plan": "b"}
    event = fake.events[-1]
    assert event["type"] == "customer.subscription.updated"
    assert event["data"]["previous_attributes"]["items"]["data"][0]["price"]["id"] == price.id
    assert event["data"]["previous_attributes"]["metadata"] == {"plan": None}

    ending = client.v1.subscriptions.update(subscription.id, {"cancel_at_period_end": True})
    assert ending.cancel_at_period_end is True and ending.cancel_at == new_item.current_period_end
    assert fake.events[-1]["data"]["previous_attributes"]["cancel_at_period_end"] is False

    other = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    changed = client.v1.subscriptions.update(subscription.id, {"default_payment_method": other.id})
    assert changed.default_payment_method == other.id

    item = client.v1.subscription_items.update(new_item.id, {"quantity": 5})
    assert item.quantity == 5


def test_cancel_and_list(client, fake, customer, price):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    other = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 3}
    )
    canceled = client.v1.subscriptions.cancel(subscription.id)
    assert canceled.status == "canceled" and canceled.ended_at
    assert fake.events[-1]["type"] == "customer.subscription.deleted"

    assert [s.id for s in client.v1.subscriptions.list({"customer": customer.id}).data] == [other.id]
    assert [s.id for s in client.v1.subscriptions.list({"status": "canceled"}).data] == [subscription.id]
    assert len(client.v1.subscriptions.list({"status": "all"}).data) == 2
    assert len(client.v1.subscriptions.list({"price": price.id, "status": "all"}).data) == 2
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(subscription.id)


def test_past_due_at_renewal(client, fake, customer, price):
    payment_method = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 7,
            "default_payment_method": payment_method.id,
        }
    )
    fake.advance_clock(8 * 86400)
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "past_due"
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "open"
