"""The usage read stays exact while the fake answers a storm of 500s and 429s: on the meter event stream (the
rows stay pending, counted as unsent) and on the summaries (the refresh after a send gives up, the rows sent
stay counted as unsent); once the storm passes, Stripe's count takes over, each unit counted once."""

from __future__ import annotations

import pytest

from django_stripe import payments
from django_stripe.models import MeterUsageSummary, UsageReport
from django_stripe.payments.usage_sending import send_all_due
from django_stripe.sync.usage_summaries import AFTER_SEND_BACKOFF

from ..usage.conftest import delivered, metered  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARIES = "/v1/billing/meters/"
STREAM = "/v2/billing/meter_event_stream"


def exact(metered, value: float, counted: float) -> None:  # noqa: F811 (the fixture's name, a plain argument)
    usage = payments.usage(metered.user, metered.meter)
    assert (usage.value, usage.counted, usage.unsent) == (value, counted, value - counted)


def test_a_storm_on_the_stream_and_on_the_summaries_never_makes_the_read_wrong(metered, settings):  # noqa: F811
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # each attempt is one request: the storm's length is exact
    payments.report_usage(metered.user, "api_calls", 4)  # sent and counted
    exact(metered, 4, 4)

    for status in (500, 429, 503):
        metered.fake.fail_next(3, status=status, path=STREAM)
    payments.report_usage(metered.user, "api_calls", 6)  # the send fails: kept, pending
    assert UsageReport.objects.filter(state="pending").count() == 1
    exact(metered, 10, 4)

    # The stream answers again, but the summaries do not: the refresh after the send gives up.
    while metered.fake.pending_faults():
        UsageReport.objects.update(next_attempt_at=UsageReport.objects.get(state="pending").created_at)
        send_all_due()
    metered.fake.fail_next(AFTER_SEND_BACKOFF.attempts, status=500, path=SUMMARIES)
    UsageReport.objects.update(next_attempt_at=UsageReport.objects.get(state="pending").created_at)
    assert send_all_due()["sent"] == 1
    assert metered.fake.pending_faults() == 0  # every attempt of the refresh met the storm
    assert MeterUsageSummary.objects.get().aggregated_value == 4
    exact(metered, 10, 4)

    payments.refresh_usage(metered.customer)  # the storm is over
    exact(metered, 10, 10)
