"""The test clock: renewals, trial ends, cancellations at period end, each with its events."""

from datetime import UTC, datetime

DAY = 86400


def types_since(fake, count):
    return [e["type"] for e in fake.events[count:]]


def subscribe(client, customer, price, **extra):
    return client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa", **extra}
    )


def test_renewal_moves_the_item_period_and_bills(client, fake, customer, price):
    subscription = subscribe(client, customer, price)
    first_item = subscription["items"].data[0]
    count = len(fake.events)
    fake.advance_clock(first_item.current_period_end - fake.now() + 60)

    renewed = client.v1.subscriptions.retrieve(subscription.id)
    item = renewed["items"].data[0]
    assert item.current_period_start == first_item.current_period_end
    assert item.current_period_end > item.current_period_start
    assert renewed.status == "active" and renewed.latest_invoice != subscription.latest_invoice
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    assert invoice.billing_reason == "subscription_cycle" and invoice.status == "paid"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.lines.data[0].period.start == item.current_period_start
    assert types_since(fake, count) == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    update = fake.events[count]
    assert update["created"] == first_item.current_period_end
    assert (
        update["data"]["previous_attributes"]["items"]["data"][0]["current_period_end"] == first_item.current_period_end
    )


def test_months_follow_the_calendar(client, fake, customer, price):
    subscription = subscribe(client, customer, price)
    anchor = datetime.fromtimestamp(subscription.billing_cycle_anchor, UTC)
    fake.advance_clock(3 * 31 * DAY)
    item = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    start = datetime.fromtimestamp(item.current_period_start, UTC)
    assert (start.year * 12 + start.month) - (anchor.year * 12 + anchor.month) == 3
    assert len(client.v1.invoices.list({"subscription": subscription.id}).data) == 4


def test_trial_end(client, fake, customer, price):
    subscription = subscribe(client, customer, price, trial_period_days=7)
    count = len(fake.events)
    fake.advance_clock(7 * DAY + 1)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "active"
    assert ended["items"].data[0].current_period_start == subscription.trial_end
    types = types_since(fake, count)
    assert types[0] == "customer.subscription.trial_will_end"
    assert types[1:] == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    assert fake.events[count + 1]["data"]["previous_attributes"]["status"] == "trialing"
    assert client.v1.invoices.retrieve(ended.latest_invoice).amount_paid == 2000


def test_end_trial_now(client, customer, price):
    subscription = subscribe(client, customer, price, trial_period_days=30)
    ended = client.v1.subscriptions.update(subscription.id, {"trial_end": "now"})
    assert ended.status == "active"


def test_cancel_at_period_end(client, fake, customer, price):
    subscription = subscribe(client, customer, price)
    client.v1.subscriptions.update(subscription.id, {"cancel_at_period_end": True})
    count = len(fake.events)
    fake.advance_clock(40 * DAY)
    canceled = client.v1.subscriptions.retrieve(subscription.id)
    assert canceled.status == "canceled" and canceled.ended_at == subscription["items"].data[0].current_period_end
    assert types_since(fake, count) == ["customer.subscription.deleted"]


def test_incomplete_expires(client, fake, customer, price):
    subscription = subscribe(client, customer, price, default_payment_method="pm_card_chargeDeclined")
    assert subscription.status == "incomplete"
    fake.advance_clock(DAY)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "incomplete_expired"
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "void"


def test_past_due_then_recovered(client, fake, customer, price):
    payment_method = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    subscription = subscribe(client, customer, price, trial_period_days=3, default_payment_method=payment_method.id)
    fake.advance_clock(3 * DAY + 1)
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "past_due"
    assert fake.events[-1]["data"]["previous_attributes"] == {"status": "active"}
    client.v1.invoices.pay(subscription.latest_invoice, {"payment_method": "pm_card_visa"})
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_now_moves(fake):
    before = fake.now()
    fake.advance_clock(3600)
    assert fake.now() - before >= 3600


def test_many_subscriptions_are_processed_in_time_order(client, fake, price):
    weekly = client.v1.prices.create(
        {"product": price.product, "currency": "usd", "unit_amount": 500, "recurring": {"interval": "week"}}
    )
    customers = [client.v1.customers.create({"email": f"c{n}@example.com"}) for n in range(3)]
    monthly_sub = subscribe(client, customers[0], price)
    weekly_sub = subscribe(client, customers[1], weekly)
    trialing = subscribe(client, customers[2], price, trial_period_days=10, cancel_at_period_end=True)
    count = len(fake.events)

    fake.advance_clock(70 * DAY)
    moments = [e["created"] for e in fake.events[count:]]
    assert moments == sorted(moments)  # one timeline across every subscription
    invoices = {
        s.id: len(client.v1.invoices.list({"subscription": s.id, "limit": 100}).data) for s in (monthly_sub, weekly_sub)
    }
    assert invoices == {monthly_sub.id: 3, weekly_sub.id: 11}
    assert client.v1.subscriptions.retrieve(trialing.id).status == "canceled"  # at its trial's end
