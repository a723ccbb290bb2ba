"""Many customers' subscriptions at the fake Stripe: ~23 events each (customer, cards, trial, renewal, price
swap with its prorations, failing card, cancellation at period end or now, a last customer update), so that a
few dozen customers make well over a thousand events about hundreds of objects, many of them stamped with the
same second."""

from __future__ import annotations

from django_stripe.client import get_client
from django_stripe.testing.fake import FakeStripe

DAY = 24 * 3600


def run_many_subscriptions(fake: FakeStripe, customers: int) -> None:
    client = get_client().v1
    product = client.products.create({"name": "Storm"})
    monthly = {"interval": "month"}
    basic = client.prices.create({"product": product.id, "unit_amount": 1000, "currency": "usd", "recurring": monthly})
    plus = client.prices.create({"product": product.id, "unit_amount": 2500, "currency": "usd", "recurring": monthly})
    subscriptions = []
    for number in range(customers):
        customer = client.customers.create({"email": f"storm{number}@example.com", "name": f"Storm {number}"})
        card = client.payment_methods.attach("pm_card_visa", {"customer": customer.id})
        client.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
        subscription = client.subscriptions.create(
            {"customer": customer.id, "items": [{"price": basic.id}], "trial_period_days": 14}
        )
        subscriptions.append((customer.id, subscription))
    fake.advance_clock(15 * DAY)  # trials end: invoices paid
    for number, (customer_id, subscription) in enumerate(subscriptions):
        item = subscription["items"]["data"][0]
        client.subscriptions.update(subscription.id, {"items": [{"id": item["id"], "price": plus.id}]})
        if number % 3 == 0:
            failing = client.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer_id})
            client.subscriptions.update(subscription.id, {"default_payment_method": failing.id})
        if number % 4 == 1:
            client.subscriptions.update(subscription.id, {"cancel_at_period_end": True})
        if number % 5 == 2:
            client.subscriptions.cancel(subscription.id)
    fake.advance_clock(31 * DAY)  # renewals (some fail: past_due), cancellations at period end
    # Invoices move a customer's `next_invoice_sequence` without a customer.updated (in the fake; no event
    # announces it), so the last customer event would not hold the final state: a last change announces it.
    for customer_id, _ in subscriptions:
        client.customers.update(customer_id, {"metadata": {"storm": "over"}})
