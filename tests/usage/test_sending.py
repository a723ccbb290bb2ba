"""Sending the outbox: the v2 stream (a session reused, 100 events a request), v1 when told, failures kept
with backoff, refusals recorded with Stripe's reason."""

from __future__ import annotations

import pytest
from django.utils import timezone

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import UsageReport
from django_stripe.payments.usage_sending import send_due_reports
from tests.usage.conftest import EVENT_NAME, counted

pytestmark = pytest.mark.django_db

STREAM = "/v2/billing/meter_event_stream"


def report(user, count: int, value: int = 1, event_name: str = EVENT_NAME) -> None:
    """Reports left in the outbox (the test's transaction never commits: nothing is scheduled)."""
    for n in range(count):
        payments.report_usage(user, event_name, value, identifier=f"{user.username}-{event_name}-{n}")


def make_due() -> None:
    UsageReport.objects.update(next_attempt_at=timezone.now())


def states() -> dict[str, int]:
    return {state: UsageReport.objects.filter(state=state).count() for state in UsageReport.State.values}


def test_rows_go_100_to_a_stream_request_on_one_session(stripe_fake, meter, customer_user):
    user = customer_user()
    report(user, 250)

    outcome = send_due_reports()
    assert outcome.as_dict() == {"sent": 250, "refused": 0, "kept": 0}
    assert len({pending.request_id for pending in stripe_fake.usage.pending}) == 3
    assert len(stripe_fake.usage.sessions) == 1
    assert len(counted(stripe_fake, user.stripe_customer_id)) == 250
    assert states() == {"pending": 0, "sent": 250, "refused": 0}
    assert send_due_reports().claimed == 0  # a sent row is never claimed again


def test_the_session_is_kept_across_sends_and_renewed_when_the_stream_refuses_it(stripe_fake, meter, customer_user):
    user = customer_user()
    report(user, 2)
    send_due_reports()
    payments.report_usage(user, EVENT_NAME, identifier="later")
    send_due_reports()
    assert len(stripe_fake.usage.sessions) == 1

    stripe_fake.usage.sessions.clear()  # Stripe forgot it (expired early)
    payments.report_usage(user, EVENT_NAME, identifier="after-expiry")
    assert send_due_reports().as_dict() == {"sent": 1, "refused": 0, "kept": 0}
    assert len(stripe_fake.usage.sessions) == 1
    assert "after-expiry" in counted(stripe_fake)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_stripe_busy_or_down_keeps_the_rows_with_backoff_then_sends_them(stripe_fake, meter, customer_user, status):
    user = customer_user()
    report(user, 5)
    stripe_fake.fail_next(3, status=status, path=STREAM)  # the first try and the SDK's two retries

    before = timezone.now()
    assert send_due_reports().as_dict() == {"sent": 0, "refused": 0, "kept": 5}
    rows = list(UsageReport.objects.all())
    assert {(row.state, row.attempts) for row in rows} == {("pending", 1)}
    assert all(row.next_attempt_at > before for row in rows) and all(row.refusal_reason for row in rows)
    assert send_due_reports().claimed == 0  # not due yet
    assert counted(stripe_fake) == {}

    tries = 1
    while stripe_fake.pending_faults():  # the SDK retries a 5xx, not a 429: each try takes one or three
        make_due()
        assert send_due_reports().as_dict() == {"sent": 0, "refused": 0, "kept": 5}
        tries += 1
    make_due()
    assert send_due_reports().as_dict() == {"sent": 5, "refused": 0, "kept": 0}
    final = {(row.state, row.attempts, row.refusal_reason) for row in UsageReport.objects.all()}
    assert final == {("sent", tries + 1, "")}
    assert len(counted(stripe_fake)) == 5


def test_on_v1_each_refusal_is_recorded_with_stripes_reason(settings, stripe_fake, meter, customer_user):
    settings.STRIPE_USAGE_STREAM = False
    user = customer_user()
    report(user, 2)
    payments.report_usage(user, "no_such_meter", identifier="unmetered")
    gone = customer_user("bob")
    payments.report_usage(gone, EVENT_NAME, identifier="gone")
    get_client().v1.customers.delete(gone.stripe_customer_id)

    assert send_due_reports().as_dict() == {"sent": 2, "refused": 2, "kept": 0}
    refused = dict(UsageReport.objects.filter(state="refused").values_list("identifier", "refusal_reason"))
    assert set(refused) == {"unmetered", "gone"}
    assert "No active meter" in refused["unmetered"] and "No such customer" in refused["gone"]
    assert set(counted(stripe_fake)) == {"alice-api_call-0", "alice-api_call-1"}
    assert stripe_fake.usage.sessions == {}  # the stream was never used


def test_on_v1_a_row_stripe_already_counted_is_sent(settings, stripe_fake, meter, customer_user):
    """A worker killed after Stripe took the event: the resend is refused as a duplicate, and is sent."""
    settings.STRIPE_USAGE_STREAM = False
    user = customer_user()
    report(user, 1)
    row = UsageReport.objects.get()
    get_client().v1.billing.meter_events.create(
        {
            "event_name": EVENT_NAME,
            "identifier": row.identifier,
            "payload": {"stripe_customer_id": row.customer_id, "value": "1"},
        }
    )
    assert send_due_reports().as_dict() == {"sent": 1, "refused": 0, "kept": 0}
    assert len(counted(stripe_fake)) == 1


def test_the_streams_refusals_come_back_in_the_error_report_and_mark_their_rows(
    synced_fake, meter, customer_user, django_capture_on_commit_callbacks
):
    user = customer_user()
    report(user, 1)
    get_client().v1.billing.meters.deactivate(meter.id)
    payments.report_usage(user, EVENT_NAME, identifier="inactive")
    # Both are accepted (the stream validates later)...
    assert send_due_reports().as_dict() == {"sent": 2, "refused": 0, "kept": 0}

    with django_capture_on_commit_callbacks(execute=True):
        synced_fake.process_meter_events()  # ... then refused: the meter is inactive, its report is delivered

    refused = UsageReport.objects.filter(state="refused")
    assert {row.identifier for row in refused} == {"alice-api_call-0", "inactive"}
    assert all(row.refusal_reason.startswith("archived_meter:") for row in refused)
