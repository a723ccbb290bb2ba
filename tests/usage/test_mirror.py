"""Billing meters and metered prices mirrored from the fake's webhooks over HTTP, by the backfill and by the
catch-up; meter event summaries read back per customer, meter and period."""

from __future__ import annotations

import pytest
import stripe

from django_stripe.client import get_client
from django_stripe.models import BackfillSegment, BillingMeter, MeterUsageSummary, Price
from django_stripe.sync.backfill import backfill_type
from django_stripe.sync.drift import check_drift
from django_stripe.sync.upsert import MIRRORS, columns_for
from django_stripe.sync.usage_summaries import refresh_usage

from .conftest import send_usage

pytestmark = pytest.mark.django_db(transaction=True)


def assert_mirrors(fake, model, object_id: str) -> None:
    expected = columns_for(MIRRORS[model], fake.get(object_id), False)
    row = model.objects.get(pk=object_id)
    assert {name: getattr(row, name) for name in expected} == expected


def test_a_meter_and_its_metered_price_are_mirrored_from_their_events(metered):
    meter = BillingMeter.objects.get(pk=metered.meter)
    assert (meter.event_name, meter.display_name, meter.formula, meter.status) == (
        "api_calls",
        "API calls",
        "sum",
        "active",
    )
    assert (meter.customer_mapping_key, meter.value_key) == ("stripe_customer_id", "value")
    price = Price.objects.get(pk=metered.price)
    assert (price.usage_type, price.meter_id) == ("metered", metered.meter)
    assert_mirrors(metered.fake, BillingMeter, metered.meter)
    assert_mirrors(metered.fake, Price, metered.price)


def test_deactivating_and_reactivating_a_meter_is_mirrored(metered):
    meters = get_client().v1.billing.meters
    meters.deactivate(metered.meter)
    assert BillingMeter.objects.get(pk=metered.meter).status == "inactive"
    assert BillingMeter.objects.get(pk=metered.meter).deleted is False  # a meter is never deleted at Stripe
    meters.reactivate(metered.meter)
    assert BillingMeter.objects.get(pk=metered.meter).active
    meters.update(metered.meter, params={"display_name": "Calls to the API"})
    assert BillingMeter.objects.get(pk=metered.meter).display_name == "Calls to the API"
    assert_mirrors(metered.fake, BillingMeter, metered.meter)


def test_the_backfill_mirrors_meters_and_the_drift_check_finds_none(stripe_fake_server):
    client = get_client()
    created = [
        client.v1.billing.meters.create(
            params={"display_name": f"M{n}", "event_name": f"event_{n}", "default_aggregation": {"formula": "count"}}
        ).id
        for n in range(3)
    ]
    client.v1.billing.meters.deactivate(created[0])
    result = backfill_type("billing_meters", threads=2)  # one stream all the same: no created filter at Stripe
    assert result.completed and result.fetched == 3
    assert not BackfillSegment.objects.exists()
    assert set(BillingMeter.objects.values_list("id", flat=True)) == set(created)
    assert BillingMeter.objects.get(pk=created[0]).status == "inactive"
    [drift] = check_drift(["billing_meters"])
    assert (drift.listed, drift.differences) == (3, [])


def test_a_summary_is_mirrored_for_the_customer_meter_and_period(metered):
    send_usage(metered.customer, 5, "u-1")
    send_usage(metered.customer, 7, "u-2")
    with pytest.raises(stripe.InvalidRequestError, match="already exists"):  # v1 refuses a second one
        send_usage(metered.customer, 7, "u-2")
    [summary] = refresh_usage(metered.customer)
    assert summary.aggregated_value == 12
    assert summary.meter_id == metered.meter and summary.customer_id == metered.customer
    assert summary.start_time.timestamp() % 60 == 0 and summary.end_time.timestamp() % 60 == 0
    send_usage(metered.customer, 1, "u-3")
    refresh_usage(metered.customer, ["api_calls"])
    assert MeterUsageSummary.objects.get().aggregated_value == 13  # one row per period, updated


def test_a_refresh_of_other_meters_reads_nothing(metered):
    send_usage(metered.customer, 5, "u-1")
    assert refresh_usage(metered.customer, ["storage"]) == []
    assert not MeterUsageSummary.objects.exists()


def test_an_older_read_does_not_overwrite_a_newer_one(metered):
    from datetime import timedelta

    from django_stripe.sync.usage_summaries import metered_items, write_summary

    [item] = metered_items(metered.customer)
    [summary] = refresh_usage(metered.customer)
    write_summary(metered.customer, item, 99.0, summary.refreshed_at - timedelta(seconds=1))
    assert MeterUsageSummary.objects.get().aggregated_value == summary.aggregated_value
