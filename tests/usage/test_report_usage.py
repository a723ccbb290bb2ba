"""`payments.report_usage`: one row of the outbox in the caller's transaction, sent once it commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from django_stripe import payments
from django_stripe.exceptions import StripeCustomerMissing
from django_stripe.models import UsageReport
from tests.usage.conftest import EVENT_NAME, counted

pytestmark = pytest.mark.django_db


def test_a_report_is_one_row_in_the_callers_transaction_and_nothing_at_stripe_before_it_commits(
    stripe_fake, meter, customer_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    user = customer_user()
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        report = payments.report_usage(user, EVENT_NAME, 3)
    row = UsageReport.objects.get()
    assert (row.customer_id, row.billable, row.event_name, row.value) == (
        user.stripe_customer_id, f"{user._meta.label_lower}:{user.pk}", EVENT_NAME, 3
    )  # fmt: skip
    assert row.identifier == report.identifier and len(row.identifier) == 32
    assert row.state == UsageReport.State.PENDING and row.attempts == 0
    assert counted(stripe_fake) == {} and len(callbacks) == 1

    callbacks[0]()  # the commit: eager Celery sends at once

    row.refresh_from_db()
    assert row.state == UsageReport.State.SENT and row.attempts == 1 and row.sent_at is not None
    assert counted(stripe_fake) == {row.identifier: 3.0}


def test_a_report_rolled_back_with_its_transaction_is_never_sent(
    stripe_fake, meter, customer_user, django_capture_on_commit_callbacks
):
    user = customer_user()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            payments.report_usage(user, EVENT_NAME, 5)
            raise RuntimeError("the request failed")
        payments.report_usage(user, EVENT_NAME, 2, identifier="kept")

    assert list(UsageReport.objects.values_list("identifier", flat=True)) == ["kept"]
    assert counted(stripe_fake) == {"kept": 2.0}


def test_the_same_identifier_reported_twice_is_one_row_counted_once(
    stripe_fake, meter, customer_user, django_capture_on_commit_callbacks
):
    user = customer_user()
    with django_capture_on_commit_callbacks(execute=True):
        payments.report_usage(user, EVENT_NAME, 4, identifier="request-1")
        payments.report_usage(user, EVENT_NAME, 4, identifier="request-1")
    assert UsageReport.objects.count() == 1
    assert counted(stripe_fake) == {"request-1": 4.0}


def test_a_backdated_report_keeps_its_timestamp(stripe_fake, meter, customer_user, django_capture_on_commit_callbacks):
    user = customer_user()
    when = timezone.now().replace(microsecond=0) - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        payments.report_usage(user, EVENT_NAME, identifier="old", timestamp=when)
    stripe_fake.process_meter_events()
    assert stripe_fake.usage.counted["old"].timestamp == int(when.timestamp())


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"event_name": ""}, "event_name"),
        ({"event_name": "x" * 101}, "event_name"),
        ({"value": -1}, "whole number"),
        ({"value": "3"}, "whole number"),
        ({"value": 1.5}, "whole number"),
        ({"value": True}, "whole number"),
        ({"identifier": ""}, "identifier"),
        ({"identifier": "i" * 101}, "identifier"),
        (lambda: {"timestamp": timezone.now().replace(tzinfo=None)}, "timezone-aware"),
        (lambda: {"timestamp": timezone.now() - timedelta(days=36)}, "35 days"),
        (lambda: {"timestamp": timezone.now() + timedelta(minutes=6)}, "5 minutes"),
    ],
)
def test_bad_input_is_a_clear_error_and_no_row(customer_user, arguments, message):
    user = customer_user()
    # A moment is made when the test runs, not when it is collected: minutes may pass between the two.
    call = {"event_name": EVENT_NAME, **(arguments() if callable(arguments) else arguments)}
    with pytest.raises(ValueError, match=message):
        payments.report_usage(user, **call)
    assert not UsageReport.objects.exists()


def test_a_billable_without_a_customer_cannot_report(make_user):
    with pytest.raises(StripeCustomerMissing):
        payments.report_usage(make_user(), EVENT_NAME)
    assert not UsageReport.objects.exists()
