"""Invoices of metered prices on the fake, over real HTTP: nothing is billed when the subscription starts; each
renewal bills the usage counted in the period that ended (by the meter's formula) at the price, beside the
licensed items billed ahead; the upcoming invoice shows the usage so far; a metered item prorates nothing."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.server import FakeStripeServer

from .metering import Metering, event


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def metered_price(metering: Metering, meter: str, unit_amount: int = 3) -> str:
    recurring = {"interval": "month", "usage_type": "metered", "meter": meter}
    spec = {
        "product_data": {"name": "API calls"},
        "currency": "usd",
        "unit_amount": unit_amount,
        "recurring": recurring,
    }
    return metering.client.v1.prices.create(spec).id


def subscribe(metering: Metering, customer: str, *prices: str) -> stripe.Subscription:
    items = [{"price": price} for price in prices]
    return metering.client.v1.subscriptions.create({"customer": customer, "items": items})


def renew(metering: Metering, subscription: stripe.Subscription) -> stripe.Invoice:
    end = subscription["items"].data[0].current_period_end
    metering.fake.advance_clock(end - metering.fake.now())
    renewed = metering.client.v1.subscriptions.retrieve(subscription.id)
    return metering.client.v1.invoices.retrieve(renewed.latest_invoice)


def test_a_renewal_bills_the_periods_usage_at_the_metered_price(metering: Metering) -> None:
    customer = metering.customer()
    subscription = subscribe(metering, customer, metered_price(metering, metering.meter.id))
    first = metering.client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 0 and first.lines.data[0].quantity == 0 and subscription.status == "active"
    metering.report(customer, 10)
    metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "s1", 5)]})
    item = subscription["items"].data[0]

    invoice = renew(metering, subscription)

    assert invoice.billing_reason == "subscription_cycle" and invoice.status == "paid"
    assert invoice.total == 45
    (line,) = invoice.lines.data
    assert (line.quantity, line.amount, line.description) == (15, 45, "15 × API calls")
    assert (line.period.start, line.period.end) == (item.current_period_start, item.current_period_end)


def test_usage_at_the_renewal_instant_belongs_to_the_next_period(metering: Metering) -> None:
    customer = metering.customer()
    subscription = subscribe(metering, customer, metered_price(metering, metering.meter.id))
    end = subscription["items"].data[0].current_period_end
    metering.fake.advance_clock(end - metering.fake.now() - 60)
    metering.report(customer, 2, timestamp=end - 1)
    metering.report(customer, 100, timestamp=end)  # up to 5 minutes ahead: Stripe takes it

    first = renew(metering, subscription)
    second = renew(metering, metering.client.v1.subscriptions.retrieve(subscription.id))

    assert first.total == 6 and second.total == 300


def test_each_formula_bills_its_own_quantity(metering: Metering) -> None:
    customer = metering.customer()
    calls, seats = metering.new_meter("calls", "count"), metering.new_meter("seats", "last")
    subscription = subscribe(
        metering, customer, metered_price(metering, calls.id, 1), metered_price(metering, seats.id, 100)
    )
    now = metering.fake.now()
    for value in (7, 8, 9):
        metering.report(customer, value, event_name="calls")
    metering.report(customer, 4, event_name="seats", timestamp=now - 1)
    metering.report(customer, 6, event_name="seats", timestamp=now)

    invoice = renew(metering, subscription)

    assert sorted(line.quantity for line in invoice.lines.data) == [3, 6]
    assert invoice.total == 3 + 600


def test_a_licensed_item_is_billed_ahead_beside_the_usage(metering: Metering) -> None:
    customer = metering.customer()
    base = {
        "product_data": {"name": "Plan"},
        "currency": "usd",
        "unit_amount": 1000,
        "recurring": {"interval": "month"},
    }
    plan = metering.client.v1.prices.create(base).id
    subscription = subscribe(metering, customer, plan, metered_price(metering, metering.meter.id, 2))
    assert metering.client.v1.invoices.retrieve(subscription.latest_invoice).total == 1000
    metering.report(customer, 50)

    invoice = renew(metering, subscription)

    assert invoice.total == 1000 + 100
    renewed = metering.client.v1.subscriptions.retrieve(subscription.id)
    periods = {line.amount: (line.period.start, line.period.end) for line in invoice.lines.data}
    ahead = (renewed["items"].data[0].current_period_start, renewed["items"].data[0].current_period_end)
    assert periods[1000] == ahead and periods[100][1] == ahead[0]


def test_another_customers_usage_is_not_billed(metering: Metering) -> None:
    ana, bob = metering.customer(), metering.customer()
    price = metered_price(metering, metering.meter.id)
    subscription = subscribe(metering, ana, price)
    subscribe(metering, bob, price)
    metering.report(bob, 1000)

    assert renew(metering, subscription).total == 0


def test_the_upcoming_invoice_shows_the_usage_so_far(metering: Metering) -> None:
    customer = metering.customer()
    subscription = subscribe(metering, customer, metered_price(metering, metering.meter.id, 5))
    metering.report(customer, 4)

    preview = metering.client.v1.invoices.create_preview({"subscription": subscription.id})

    assert preview.total == 20 and preview.lines.data[0].quantity == 4


def test_a_metered_item_prorates_nothing(metering: Metering) -> None:
    customer = metering.customer()
    subscription = subscribe(metering, customer, metered_price(metering, metering.meter.id, 5))
    cheaper = metered_price(metering, metering.meter.id, 1)
    metering.fake.advance_clock(86400)
    item = subscription["items"].data[0]

    metering.client.v1.subscriptions.update(subscription.id, {"items": [{"id": item.id, "price": cheaper}]})

    assert metering.client.v1.invoice_items.list({"customer": customer}).data == []


def test_a_metered_item_has_no_quantity(metering: Metering) -> None:
    customer = metering.customer()
    subscription = subscribe(metering, customer, metered_price(metering, metering.meter.id))
    assert subscription["items"].data[0].quantity is None
    metering.report(customer, 3)
    assert renew(metering, subscription).lines.data[0].quantity == 3
