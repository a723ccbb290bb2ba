"""The v2 meter event stream on the fake, over real HTTP through the SDK's `meter_events` base address: a
session's token is the bearer for 15 minutes; a request takes 1 to 100 events of the right shape and answers
`{}`; they are counted later, as Stripe does asynchronously, each identifier once (with v1's too); what cannot
be counted becomes an error report naming each refused identifier."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.server import FakeStripeServer

from .metering import Metering, event


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def test_a_session_gives_a_token_for_15_minutes(metering: Metering) -> None:
    session = metering.client.v2.billing.meter_event_session.create()

    assert session.object == "v2.billing.meter_event_session" and session.authentication_token
    assert session.created.endswith("Z") and session.expires_at.endswith("Z")
    assert metering.fake.usage.sessions[session.authentication_token] == metering.fake.now() + 15 * 60


def test_streamed_events_are_accepted_then_counted(metering: Metering) -> None:
    customer = metering.customer()
    stream = metering.stream()

    stream.v2.billing.meter_event_stream.create({"events": [event(customer, f"e{i}", 2) for i in range(100)]})

    assert len(metering.fake.usage.pending) == 100 and not metering.fake.usage.counted  # accepted, not counted
    assert metering.usage(customer) == [200.0]  # counted by the time a summary is read
    assert not metering.fake.usage.pending


def test_an_event_timestamp_is_iso_8601(metering: Metering) -> None:
    customer, now = metering.customer(), metering.fake.now()
    today = now // 86400 * 86400
    metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "old", 3, at=today - 3600)]})

    by_day = metering.client.v1.billing.meters.event_summaries.list(
        metering.meter.id,
        {"customer": customer, "start_time": today - 86400, "end_time": today + 86400, "value_grouping_window": "day"},
    )
    assert [s.aggregated_value for s in by_day.data] == [3.0, 0.0]


def test_an_identifier_is_counted_once_across_requests_and_apis(metering: Metering) -> None:
    customer = metering.customer()
    stream = metering.stream()
    metering.report(customer, 5, identifier="same")
    batch = [event(customer, "same", 5), event(customer, "other", 1), event(customer, "other", 1)]
    stream.v2.billing.meter_event_stream.create({"events": batch})
    stream.v2.billing.meter_event_stream.create({"events": batch})  # a resend after a lost answer

    assert metering.usage(customer) == [6.0]
    assert metering.fake.usage.error_reports == []  # a duplicate is dropped, never reported


def test_a_request_takes_1_to_100_events(metering: Metering) -> None:
    stream, customer = metering.stream(), metering.customer()
    with pytest.raises(stripe.InvalidRequestError, match="at most 100") as too_many:
        stream.v2.billing.meter_event_stream.create({"events": [event(customer, f"e{i}") for i in range(101)]})
    assert too_many.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError, match="events"):
        stream.v2.billing.meter_event_stream.create({"events": []})
    assert metering.fake.usage.pending == []  # a refused request accepts none of its events


@pytest.mark.parametrize(
    "bad, param",
    [
        ({"payload": {"value": "1"}}, "events[1].event_name"),
        ({"event_name": "api_call"}, "events[1].payload"),
        ({"event_name": "api_call", "payload": "cus_1"}, "events[1].payload"),
        ({"event_name": "api_call", "payload": {"value": "1"}, "timestamp": "yesterday"}, "events[1].timestamp"),
        ("an event", "events[1]"),
    ],
)
def test_a_malformed_event_refuses_the_request(metering: Metering, bad: object, param: str) -> None:
    customer = metering.customer()
    with pytest.raises(stripe.InvalidRequestError) as refused:
        metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "ok"), bad]})
    assert refused.value.http_status == 400 and refused.value.param == param
    assert metering.usage(customer) == [0.0]


def test_events_that_cannot_be_counted_are_reported_by_identifier(metering: Metering) -> None:
    customer, now = metering.customer(), metering.fake.now()
    batch = [
        event(customer, "good", 4),
        event("cus_nope", "stranger"),
        event(customer, "stale", at=now - 36 * 86400),
        event(customer, "nothing", "lots"),
        event(customer, "lost", event_name="no_such_meter"),
    ]
    metering.stream().v2.billing.meter_event_stream.create({"events": batch})
    metering.fake.process_meter_events()

    assert metering.usage(customer) == [4.0]
    reports = {report["meter"]: report for report in metering.fake.usage.error_reports}
    assert set(reports) == {metering.meter.id, None}
    on_meter = reports[metering.meter.id]["reason"]
    assert on_meter["error_count"] == 3
    refused = {t["code"]: [s["request"]["identifier"] for s in t["sample_errors"]] for t in on_meter["error_types"]}
    assert refused == {
        "meter_event_customer_not_found": ["stranger"],
        "timestamp_too_far_in_past": ["stale"],
        "meter_event_invalid_value": ["nothing"],
    }
    assert reports[None]["reason"]["error_types"][0]["code"] == "no_meter"
    events = {e["type"]: e["data"]["object"] for e in metering.fake.events if e["type"].startswith("v1.")}
    assert events["v1.billing.meter.error_report_triggered"] == reports[metering.meter.id]
    assert events["v1.billing.meter.no_meter_found"] == reports[None]
    status, listed = metering.raw("GET", "/_fake/meter_error_reports")
    assert status == 200 and [r["id"] for r in listed["data"]] == [r["id"] for r in metering.fake.usage.error_reports]


def test_pending_events_are_counted_by_the_control_endpoint(metering: Metering) -> None:
    customer = metering.customer()
    metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "a"), event("cus_x", "b")]})

    status, answer = metering.raw("POST", "/_fake/meter_events/process", b"")

    assert status == 200 and answer == {"pending": 0, "error_reports": 1}
    assert list(metering.fake.usage.counted) == ["a"]


def test_the_session_expires_after_15_minutes(metering: Metering) -> None:
    customer = metering.customer()
    stream = metering.stream()
    metering.fake.advance_clock(15 * 60 - 5)
    stream.v2.billing.meter_event_stream.create({"events": [event(customer, "in-time")]})
    metering.fake.advance_clock(5)

    with pytest.raises(stripe.TemporarySessionExpiredError) as expired:
        stream.v2.billing.meter_event_stream.create({"events": [event(customer, "late")]})

    assert expired.value.http_status == 401 and expired.value.code == "billing_meter_event_session_expired"
    metering.stream().v2.billing.meter_event_stream.create({"events": [event(customer, "late")]})  # a new session
    assert metering.usage(customer) == [2.0]


def test_a_storm_can_be_aimed_at_the_meter_event_routes(metering: Metering) -> None:
    customer = metering.customer()
    stream = metering.stream()
    status, answer = metering.raw("POST", "/_fake/faults", b"count=2&status=500&path=/v2/billing/meter_event_stream")
    assert status == 200 and answer == {"pending_faults": 2}
    metering.raw("POST", "/_fake/faults", b"count=1&status=429&path=/v2/billing/meter_event_stream")

    metering.report(customer, 1)  # other routes are spared
    outcomes = []
    for identifier in ("a", "b", "c", "d"):
        try:
            stream.v2.billing.meter_event_stream.create({"events": [event(customer, identifier)]})
            outcomes.append("ok")
        except stripe.RateLimitError:
            outcomes.append(429)
        except stripe.APIError as error:
            outcomes.append(error.http_status)

    assert outcomes == [500, 500, 429, "ok"]
    assert metering.usage(customer) == [2.0]
    status, refused = metering.raw("POST", "/_fake/faults", b"count=1&status=500&path=/_fake/reset")
    assert status == 400 and refused["error"]["param"] == "path"
