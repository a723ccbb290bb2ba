"""Changing a subscription's price or quantity: Stripe's prorations by `proration_behavior`, the invoice an
update bills now and how `payment_behavior` collects it, a new billing interval, and renewals that take in the
pending prorations."""

import pytest
import stripe

DAY = 86400


def types_since(fake, count):
    return [e["type"] for e in fake.events[count:]]


@pytest.fixture
def prices(client, price):
    """The `price` fixture's product at 20 USD a month, plus 50 USD a month, 10.01 USD a month, 200 USD a year."""
    more = {"product": price.product, "currency": "usd"}
    return {
        "basic": price,
        "plus": client.v1.prices.create({**more, "unit_amount": 5000, "recurring": {"interval": "month"}}),
        "odd": client.v1.prices.create({**more, "unit_amount": 1001, "recurring": {"interval": "month"}}),
        "yearly": client.v1.prices.create({**more, "unit_amount": 20000, "recurring": {"interval": "year"}}),
    }


@pytest.fixture
def subscribed(client, customer, prices):
    """A subscription to `basic`, paid by the customer's default card (so a later default card pays too)."""
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": visa.id}})
    return client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": prices["basic"].id}]})


def decline_from_now_on(client, customer_id):
    """The customer's default card becomes one whose charges fail (it attaches, as a card that is set up)."""
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer_id})
    client.v1.customers.update(customer_id, {"invoice_settings": {"default_payment_method": failing.id}})


def period(subscription):
    item = subscription["items"].data[0]
    return item.current_period_start, item.current_period_end


def quarter_in(subscription):
    """A quarter of the way through the period (periods are whole days, so the rest is exactly 3/4)."""
    start, end = period(subscription)
    return start + (end - start) // 4


def lines(invoice):
    return [(line.description.split(" after ")[0], line.amount) for line in invoice.lines.data]


def test_always_invoice_bills_the_prorations_at_once(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "price": prices["plus"].id}],
            "proration_behavior": "always_invoice",
            "proration_date": quarter_in(subscribed),
        },
    )
    assert updated["items"].data[0].price.id == prices["plus"].id
    assert period(updated) == period(subscribed)  # the cycle is the same
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("Remaining time on 1 × Pro", 3750)]
    assert invoice.amount_due == invoice.amount_paid == 2250
    for line in invoice.lines.data:
        details = line.parent.subscription_item_details
        assert line.parent.type == "subscription_item_details" and details.proration is True
        assert details.subscription_item == item.id and details.invoice_item.startswith("ii_")
        assert (line.period.start, line.period.end) == (quarter_in(subscribed), period(subscribed)[1])
    assert [line.pricing.price_details.price for line in invoice.lines.data] == [prices["basic"].id, prices["plus"].id]
    on = invoice.lines.data[0].description.split(" after ")[1]
    assert len(on.split()) == 3  # "07 Mar 2026": the proration date
    assert types_since(fake, count) == [
        "invoiceitem.created",
        "invoiceitem.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    assert client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data == []


def test_a_quantity_change_credits_the_old_quantity_and_charges_the_new(client, subscribed):
    item = subscribed["items"].data[0]
    start, end = period(subscribed)
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "proration_date": start + (end - start) // 2,
        },
    )
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert lines(invoice) == [("Unused time on 1 × Pro", -1000), ("Remaining time on 3 × Pro", 3000)]
    assert invoice.amount_paid == 2000


def test_prorations_round_to_the_nearest_unit(client, customer, prices):
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": prices["odd"].id}], "default_payment_method": visa.id}
    )
    start, end = period(subscription)
    two_thirds = start + 2 * (end - start) // 3  # a third left: 1001 / 3 = 333.67, 2000 / 3 = 666.67
    updated = client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": subscription["items"].data[0].id, "price": prices["basic"].id}],
            "proration_behavior": "always_invoice",
            "proration_date": two_thirds,
        },
    )
    assert lines(client.v1.invoices.retrieve(updated.latest_invoice)) == [
        ("Unused time on 1 × Pro", -334),
        ("Remaining time on 1 × Pro", 667),
    ]


def test_adding_and_removing_items_prorates_each(client, customer, prices):
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": prices["basic"].id}, {"price": prices["odd"].id, "quantity": 4}],
            "default_payment_method": visa.id,
        }
    )
    basic, odd = subscription["items"].data
    updated = client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": odd.id, "deleted": True}, {"price": prices["plus"].id}],
            "proration_behavior": "always_invoice",
            "proration_date": quarter_in(subscription),
        },
    )
    assert [i.price.id for i in updated["items"].data] == [prices["basic"].id, prices["plus"].id]
    assert updated["items"].data[0].id == basic.id
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert lines(invoice) == [("Unused time on 4 × Pro", -3003), ("Remaining time on 1 × Pro", 3750)]


def test_a_downgrade_billed_now_credits_the_customers_balance(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "price": prices["plus"].id}], "proration_behavior": "none"}
    )
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "price": prices["basic"].id}],
            "proration_behavior": "always_invoice",
            "proration_date": quarter_in(subscribed),
        },
    )
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.total == -2250 and invoice.amount_due == 0 and invoice.amount_paid == 0
    assert invoice.status == "paid" and invoice.attempted is False  # nothing was charged
    assert (invoice.starting_balance, invoice.ending_balance) == (0, -2250)
    assert client.v1.customers.retrieve(subscribed.customer).balance == -2250
    balance_event = next(e for e in fake.events[count:] if e["type"] == "customer.updated")
    assert balance_event["data"]["previous_attributes"] == {"balance": 0}

    fake.advance_clock(period(subscribed)[1] - fake.now() + 60)  # the renewal spends the credit first
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscribed.id).latest_invoice)
    assert renewal.billing_reason == "subscription_cycle" and renewal.total == 2000
    assert renewal.starting_balance == -2250 and renewal.amount_due == 0 and renewal.ending_balance == -250
    assert client.v1.customers.retrieve(subscribed.customer).balance == -250


def test_create_prorations_leaves_them_for_the_renewal(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    count = len(fake.events)
    updated = client.v1.subscriptions.update(  # Stripe's default proration_behavior
        subscribed.id,
        {"items": [{"id": item.id, "price": prices["plus"].id}], "proration_date": quarter_in(subscribed)},
    )
    assert updated.latest_invoice == subscribed.latest_invoice  # nothing billed now
    assert types_since(fake, count) == ["invoiceitem.created", "invoiceitem.created", "customer.subscription.updated"]
    pending = client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data
    assert sorted(i.amount for i in pending) == [-1500, 3750]
    assert all(i.proration and i.invoice is None and not i.discountable for i in pending)
    assert {i.parent.subscription_details.subscription for i in pending} == {subscribed.id}
    assert client.v1.invoice_items.retrieve(pending[0].id).id == pending[0].id

    fake.advance_clock(period(subscribed)[1] - fake.now() + 60)
    renewed = client.v1.subscriptions.retrieve(subscribed.id)
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    assert invoice.billing_reason == "subscription_cycle" and invoice.status == "paid"
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("Remaining time on 1 × Pro", 3750), ("1 × Pro", 5000)]
    assert invoice.amount_paid == 7250  # the new price for the new period, and the difference for the old one
    assert client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data == []
    assert {i.invoice for i in client.v1.invoice_items.list({"customer": subscribed.customer}).data} == {invoice.id}

    fake.advance_clock(32 * DAY)  # the prorations are billed once
    again = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscribed.id).latest_invoice)
    assert lines(again) == [("1 × Pro", 5000)]


def test_the_item_routes_prorate_too(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    changed = client.v1.subscription_items.update(
        item.id, {"quantity": 2, "proration_behavior": "always_invoice", "proration_date": quarter_in(subscribed)}
    )
    assert changed.quantity == 2
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscribed.id).latest_invoice)
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("Remaining time on 2 × Pro", 3000)]

    added = client.v1.subscription_items.create({"subscription": subscribed.id, "price": prices["plus"].id})
    pending = client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data
    assert [(i.amount > 0, i.parent.subscription_details.subscription_item) for i in pending] == [(True, added.id)]

    client.v1.subscription_items.delete(added.id, {"proration_behavior": "none"})
    assert len(client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data) == 1


def test_none_prorates_nothing(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "price": prices["plus"].id}], "proration_behavior": "none"}
    )
    assert updated["items"].data[0].price.id == prices["plus"].id
    assert types_since(fake, count) == ["customer.subscription.updated"]
    assert client.v1.invoice_items.list({"customer": subscribed.customer}).data == []
    fake.advance_clock(period(subscribed)[1] - fake.now() + 60)
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscribed.id).latest_invoice)
    assert lines(invoice) == [("1 × Pro", 5000)]


def test_a_metadata_change_prorates_nothing(client, fake, subscribed):
    item = subscribed["items"].data[0]
    client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "metadata": {"a": "b"}}], "proration_behavior": "always_invoice"}
    )
    assert client.v1.subscriptions.retrieve(subscribed.id).latest_invoice == subscribed.latest_invoice
    assert client.v1.invoice_items.list({"customer": subscribed.customer}).data == []


def test_a_trialing_subscription_is_not_prorated(client, customer, prices):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": prices["basic"].id}], "trial_period_days": 14}
    )
    updated = client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": subscription["items"].data[0].id, "price": prices["plus"].id}],
            "proration_behavior": "always_invoice",
        },
    )
    assert updated.status == "trialing" and updated.latest_invoice == subscription.latest_invoice
    assert updated.trial_end == subscription.trial_end
    assert client.v1.invoice_items.list({"customer": customer.id}).data == []


def test_a_proration_date_outside_the_period_is_refused(client, subscribed, prices):
    item = subscribed["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.update(
            subscribed.id,
            {"items": [{"id": item.id, "price": prices["plus"].id}], "proration_date": period(subscribed)[1] + 1},
        )
    assert error.value.http_status == 400 and error.value.param == "proration_date"
    assert client.v1.subscriptions.retrieve(subscribed.id)["items"].data[0].price.id == prices["basic"].id


def test_a_new_interval_restarts_the_cycle_and_bills_at_once(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    at = quarter_in(subscribed)
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "price": prices["yearly"].id}], "proration_date": at}
    )
    now = updated.billing_cycle_anchor
    assert now >= fake.now() - 5
    new_item = updated["items"].data[0]
    assert new_item.current_period_start == now and new_item.current_period_end - now >= 365 * DAY
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("1 × Pro", 20000)]
    full = invoice.lines.data[1]
    assert full.parent.subscription_item_details.proration is False
    assert (full.period.start, full.period.end) == (now, new_item.current_period_end)
    assert invoice.amount_paid == 18500
    assert types_since(fake, count) == [
        "invoiceitem.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_a_new_interval_without_prorations_bills_the_new_price_in_full(client, subscribed, prices):
    item = subscribed["items"].data[0]
    updated = client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "price": prices["yearly"].id}], "proration_behavior": "none"}
    )
    assert lines(client.v1.invoices.retrieve(updated.latest_invoice)) == [("1 × Pro", 20000)]


def test_billing_cycle_anchor_now_restarts_the_cycle(client, subscribed, prices):
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "billing_cycle_anchor": "now",
            "proration_behavior": "create_prorations",
            "proration_date": quarter_in(subscribed),
        },
    )
    assert updated.billing_cycle_anchor >= subscribed.billing_cycle_anchor
    assert period(updated)[0] == updated.billing_cycle_anchor
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("1 × Pro", 2000)]


def test_allow_incomplete_applies_the_change_and_a_decline_makes_it_past_due(client, fake, subscribed, prices):
    decline_from_now_on(client, subscribed.customer)
    item = subscribed["items"].data[0]
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id, {"items": [{"id": item.id, "price": prices["plus"].id}], "proration_behavior": "always_invoice"}
    )
    assert updated.status == "past_due" and updated["items"].data[0].price.id == prices["plus"].id
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert types_since(fake, count)[-3:] == [
        "invoice.finalized",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    assert fake.events[-1]["data"]["previous_attributes"] == {"status": "active"}

    client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert client.v1.subscriptions.retrieve(subscribed.id).status == "active"


def test_error_if_incomplete_changes_nothing_when_declined(client, fake, subscribed, prices):
    decline_from_now_on(client, subscribed.customer)
    item = subscribed["items"].data[0]
    count = len(fake.events)
    with pytest.raises(stripe.CardError) as error:
        client.v1.subscriptions.update(
            subscribed.id,
            {
                "items": [{"id": item.id, "price": prices["plus"].id}],
                "proration_behavior": "always_invoice",
                "payment_behavior": "error_if_incomplete",
            },
        )
    assert error.value.http_status == 402 and error.value.code == "card_declined"
    kept = client.v1.subscriptions.retrieve(subscribed.id)
    assert kept.status == "active" and kept["items"].data[0].price.id == prices["basic"].id
    assert kept.latest_invoice == subscribed.latest_invoice and kept.pending_update is None
    assert "customer.subscription.updated" not in types_since(fake, count)
    assert types_since(fake, count)[-4:] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.payment_failed",
        "invoice.voided",
    ]
    voided = client.v1.invoices.list({"subscription": subscribed.id, "status": "void"}).data
    assert len(voided) == 1 and voided[0].billing_reason == "subscription_update"


def test_error_if_incomplete_applies_the_change_once_paid(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    count = len(fake.events)
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "price": prices["plus"].id}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "error_if_incomplete",
        },
    )
    assert updated["items"].data[0].price.id == prices["plus"].id
    assert client.v1.invoices.retrieve(updated.latest_invoice).status == "paid"
    assert types_since(fake, count)[-2:] == ["invoice.payment_succeeded", "customer.subscription.updated"]


def test_default_incomplete_leaves_the_invoice_open(client, fake, subscribed, prices):
    item = subscribed["items"].data[0]
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "price": prices["plus"].id}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "default_incomplete",
        },
    )
    assert updated["items"].data[0].price.id == prices["plus"].id and updated.status == "past_due"
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 0 and invoice.amount_due > 0
    client.v1.invoices.pay(invoice.id)
    assert client.v1.subscriptions.retrieve(subscribed.id).status == "active"


def test_add_invoice_items_go_on_the_invoice_billed_now(client, subscribed, prices):
    setup = client.v1.prices.create({"product": prices["basic"].product, "currency": "usd", "unit_amount": 999})
    item = subscribed["items"].data[0]
    updated = client.v1.subscriptions.update(
        subscribed.id,
        {
            "items": [{"id": item.id, "quantity": 2}],
            "add_invoice_items": [{"price": setup.id}],
            "proration_behavior": "always_invoice",
            "proration_date": quarter_in(subscribed),
        },
    )
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert lines(invoice) == [("Unused time on 1 × Pro", -1500), ("Remaining time on 2 × Pro", 3000), ("Pro", 999)]
    one_time = invoice.lines.data[2]
    assert one_time.parent.type == "invoice_item_details" and one_time.parent.invoice_item_details.proration is False
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.update(subscribed.id, {"add_invoice_items": [{"price": prices["plus"].id}]})
    assert error.value.param == "add_invoice_items[0][price]"
