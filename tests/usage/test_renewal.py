"""At the renewal the invoice bills what the read said this period, and the new period starts at zero."""

from __future__ import annotations

import pytest

from django_stripe import payments
from django_stripe.models import Invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_renewal_bills_what_the_read_said_and_the_new_period_starts_empty(metered):
    payments.report_usage(metered.user, "api_calls", 7)
    payments.report_usage(metered.user, "api_calls", 5)
    before = payments.usage(metered.user, metered.meter)
    assert before.value == 12
    metered.fake.advance_clock(int(before.period_end.timestamp() - before.period_start.timestamp()) + 60)
    renewal = Invoice.objects.filter(customer_id=metered.customer, billing_reason="subscription_cycle").get()
    assert renewal.amount_due == 12 * 2  # the read's value at the metered price, $0.02 a call
    after = payments.usage(metered.user, metered.meter)
    assert after.period_start >= before.period_end
    assert (after.value, after.counted, after.unsent) == (0, 0, 0)
