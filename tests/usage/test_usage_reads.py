"""`payments.usage` and `GET /api/usage/`: Stripe's count of the period (mirrored, refreshed after each send)
plus the outbox's rows Stripe has not counted, so a read right after `report_usage` is exact; over HTTP
against the fake, the outbox sent by its real task (Celery eager)."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.models import BillingMeter, MeterUsageSummary, UsageReport

from .conftest import make_metered

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_read_right_after_a_report_is_exact_before_and_after_the_send(metered):
    with transaction.atomic():
        payments.report_usage(metered.user, "api_calls", 3)
        payments.report_usage(metered.user, "api_calls", 4)
        before_commit = payments.usage(metered.user, metered.meter)
    assert (before_commit.value, before_commit.counted, before_commit.unsent) == (7, 0, 7)
    # Committed: sent (eagerly) and the summary refreshed by the send's signal.
    assert set(UsageReport.objects.values_list("state", flat=True)) == {"sent"}
    after = payments.usage(metered.user, "api_calls")  # a meter named by its event name
    assert (after.value, after.counted, after.unsent) == (7, 7, 0)
    assert after.price.id == metered.price and after.meter.id == metered.meter
    assert after.period_start < after.period_end


def test_rows_sent_since_the_summary_was_read_are_counted_once(metered, settings):
    payments.report_usage(metered.user, "api_calls", 5)  # sent and refreshed
    # Sent but not refreshed yet (the refresh after the send failed, say): the row counts as unsent.
    summary = MeterUsageSummary.objects.get()
    MeterUsageSummary.objects.filter(pk=summary.pk).update(aggregated_value=0)
    UsageReport.objects.update(sent_at=summary.refreshed_at)
    usage = payments.usage(metered.user, metered.meter)
    assert (usage.value, usage.counted, usage.unsent) == (5, 0, 5)


def test_a_rolled_back_report_counts_nowhere(metered):
    with pytest.raises(RuntimeError), transaction.atomic():
        payments.report_usage(metered.user, "api_calls", 9)
        raise RuntimeError("the request failed")
    payments.report_usage(metered.user, "api_calls", 1)
    payments.refresh_usage(metered.customer)
    assert payments.usage(metered.user, metered.meter).value == 1


def test_refused_rows_never_count(metered):
    payments.report_usage(metered.user, "api_calls", 2)
    UsageReport.objects.create(
        customer_id=metered.customer,
        billable="auth.user:1",
        event_name="api_calls",
        value=50,
        timestamp=UsageReport.objects.get().timestamp,
        next_attempt_at=UsageReport.objects.get().timestamp,
        state=UsageReport.State.REFUSED,
        refusal_reason="meter_event_customer_not_found",
    )
    assert payments.usage(metered.user, metered.meter).value == 2


def test_count_and_last_formulas_add_unsent_rows_as_the_invoice_will(metered):
    meter = BillingMeter.objects.get(pk=metered.meter)
    for formula, expected in (("count", 3), ("last", 8)):
        meter.formula = formula
        with transaction.atomic():  # uncommitted: all three rows unsent
            for value in (2, 5, 8):
                payments.report_usage(metered.user, "api_calls", value)
            assert payments.usage(metered.user, meter).unsent == expected
            transaction.set_rollback(True)


def test_a_billable_without_a_subscription_to_the_meter_has_no_period(metered, django_user_model):
    other = make_metered(metered.fake, "other")
    stranger = django_user_model.objects.create(username="stranger", stripe_customer_id=None)
    assert payments.usage(stranger, metered.meter).value == 0
    assert payments.usage_this_period(stranger) == []
    usage = payments.usage(other.user, metered.meter)
    assert usage.price is not None  # the same meter, its own price: its own period


def test_an_unknown_meter_or_period_is_refused_clearly(metered):
    with pytest.raises(BillingMeter.DoesNotExist, match="no mirrored billing meter"):
        payments.usage(metered.user, "mtr_missing")
    with pytest.raises(ValueError, match='period must be "current"'):
        payments.usage(metered.user, metered.meter, period="last_year")


def test_the_api_answers_the_usage_per_meter_beside_its_price(metered):
    payments.report_usage(metered.user, "api_calls", 6)
    api = APIClient()
    api.force_authenticate(metered.user)
    answer = api.get("/api/usage/")
    assert answer.status_code == 200
    [usage] = answer.json()
    assert usage["meter"] == metered.meter and usage["event_name"] == "api_calls"
    assert (usage["value"], usage["counted"], usage["unsent"], usage["formula"]) == (6.0, 6.0, 0.0, "sum")
    assert usage["price"]["id"] == metered.price
    assert usage["price"]["recurring"]["usage_type"] == "metered"
    assert usage["price"]["recurring"]["meter"] == metered.meter
    assert usage["period_start"] < usage["period_end"]


def test_the_portal_shows_the_usage_this_period_and_the_metered_price(metered, client):
    from django.urls import reverse

    payments.report_usage(metered.user, "api_calls", 1204)
    client.force_login(metered.user)
    page = client.get(reverse("subscription-history")).content.decode()
    assert "Usage this period" in page
    assert f'data-ds-usage="{metered.meter}"' in page
    assert "<td data-ds-usage-value>1,204</td>" in page
    assert "$0.02 per unit / month" in page
    assert "<td data-ds-usage-so-far>$24.08</td>" in page
