"""What advancing the fake's clock shows a project's tests (docs/testing.md, "The clock in your tests"): a renewal,
a trial's end, and a failed payment's retries until `past_due`, then `canceled` or `unpaid` (`fake.dunning`).
A scheduled downgrade on the clock: test_subscription_schedules.py."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
import stripe

from fake_stripe.clock import DAY
from fake_stripe.dunning import Dunning

from .billing import Billing


def until_period_end(b: Billing, subscription_id: str, after: int = 60) -> stripe.Subscription:
    current = b.client.v1.subscriptions.retrieve(subscription_id)
    b.fake.advance_clock(current["items"].data[0].current_period_end - b.fake.now() + after)
    return b.client.v1.subscriptions.retrieve(subscription_id)


def failing_card(b: Billing, subscription: stripe.Subscription) -> None:
    """The customer's card starts to decline (it expired, say) after the first payment."""
    card = b.client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": subscription.customer})
    b.client.v1.customers.update(subscription.customer, {"invoice_settings": {"default_payment_method": card.id}})


def test_a_renewal(billing: Billing):
    b = billing
    subscription = b.subscribe()
    first_end = subscription["items"].data[0].current_period_end
    renewed = until_period_end(b, subscription.id)
    assert renewed["items"].data[0].current_period_start == first_end
    invoice = b.client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == ("subscription_cycle", "paid", 1000)


def test_a_trial_end(billing: Billing):
    b = billing
    customer = b.customer()
    subscription = b.client.v1.subscriptions.create(
        {"customer": customer, "items": [{"price": b.basic}], "trial_period_days": 7}
    )
    assert subscription.status == "trialing"
    b.fake.advance_clock(5 * DAY)
    assert "customer.subscription.trial_will_end" in b.types()
    b.fake.advance_clock(2 * DAY + 60)
    ended = b.client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "active"
    assert b.client.v1.invoices.retrieve(ended.latest_invoice).amount_paid == 1000


def test_by_default_a_failed_renewal_is_retried_three_times_then_canceled(billing: Billing):
    b = billing  # Stripe's default "Manage failed payments" settings: three retries, three days apart
    subscription = b.subscribe()
    failing_card(b, subscription)
    failed = until_period_end(b, subscription.id, after=0)
    invoice_id = failed.latest_invoice
    for attempts in (2, 3):
        b.fake.advance_clock(3 * DAY)
        assert b.client.v1.invoices.retrieve(invoice_id).attempt_count == attempts
        assert b.client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    b.fake.advance_clock(3 * DAY)  # the third retry, the last, fails
    assert b.client.v1.invoices.retrieve(invoice_id).attempt_count == 4
    ended = b.client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.cancellation_details.reason) == ("canceled", "payment_failed")


def test_without_dunning_a_failed_renewal_stays_past_due(billing: Billing):
    b = billing
    b.fake.dunning = None
    subscription = b.subscribe()
    failing_card(b, subscription)
    failed = until_period_end(b, subscription.id)
    invoice = b.client.v1.invoices.retrieve(failed.latest_invoice)
    assert (failed.status, invoice.status, invoice.attempt_count) == ("past_due", "open", 1)
    assert invoice.next_payment_attempt == b.fake.now() - 60 + 3 * DAY  # announced, not made by the fake
    b.fake.advance_clock(20 * DAY)
    assert b.client.v1.invoices.retrieve(invoice.id).attempt_count == 1


@pytest.mark.parametrize("then", ["canceled", "unpaid"])
def test_a_failed_renewal_is_retried_until_past_due_then(billing: Billing, then: str):
    b = billing
    b.fake.dunning = Dunning(retry_days=(1, 2), then=then)
    subscription = b.subscribe()
    failing_card(b, subscription)
    failed = until_period_end(b, subscription.id, after=0)
    invoice_id = failed.latest_invoice
    assert failed.status == "past_due"
    b.fake.advance_clock(DAY)  # the first retry fails: still past_due
    invoice = b.client.v1.invoices.retrieve(invoice_id)
    assert (invoice.attempt_count, b.client.v1.subscriptions.retrieve(subscription.id).status) == (2, "past_due")
    b.fake.advance_clock(2 * DAY)  # the last retry fails
    invoice = b.client.v1.invoices.retrieve(invoice_id)
    assert (invoice.attempt_count, invoice.next_payment_attempt, invoice.status) == (3, None, "open")
    ended = b.client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == then
    if then == "canceled":
        assert ended.cancellation_details.reason == "payment_failed"
        assert b.types()[-1] == "customer.subscription.deleted"
    else:
        later = until_period_end(b, subscription.id)  # an unpaid subscription's invoices stay drafts
        assert b.client.v1.invoices.retrieve(later.latest_invoice).status == "draft"


def test_a_retry_that_succeeds_makes_the_subscription_active_again(billing: Billing):
    b = billing
    b.fake.dunning = Dunning()
    subscription = b.subscribe()
    failing_card(b, subscription)
    failed = until_period_end(b, subscription.id, after=0)
    card = b.client.v1.payment_methods.attach("pm_card_visa", {"customer": subscription.customer})
    b.client.v1.customers.update(subscription.customer, {"invoice_settings": {"default_payment_method": card.id}})
    b.fake.advance_clock(3 * DAY)
    assert b.client.v1.invoices.retrieve(failed.latest_invoice).status == "paid"
    assert b.client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_reset_restores_the_default_dunning(billing: Billing):
    billing.fake.dunning = Dunning((1,), "unpaid")
    billing.fake.reset()
    assert billing.fake.dunning == Dunning()
    with pytest.raises(ValueError):
        Dunning(then="forgotten")


def control(url: str, path: str, **form: object) -> dict:
    body = urllib.parse.urlencode(form, doseq=True).encode()
    with urllib.request.urlopen(urllib.request.Request(url + path, data=body, method="POST")) as response:
        return json.loads(response.read())


def test_a_standalone_fake_takes_its_dunning_from_the_control_endpoint(billing: Billing, fake_stripe_server):
    url = fake_stripe_server.url
    answer = control(url, "/_fake/dunning", **{"retry_days[]": ["1"], "then": "unpaid"})
    assert answer == {"dunning": {"retry_days": [1], "then": "unpaid"}}
    assert billing.fake.dunning == Dunning((1,), "unpaid")
    subscription = billing.subscribe()
    failing_card(billing, subscription)
    until_period_end(billing, subscription.id, after=0)
    control(url, "/_fake/clock/advance", seconds=DAY)
    assert billing.client.v1.subscriptions.retrieve(subscription.id).status == "unpaid"
    assert control(url, "/_fake/dunning", then="off") == {"dunning": None}
