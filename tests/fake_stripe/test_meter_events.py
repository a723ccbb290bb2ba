"""v1 meter events and event summaries on the fake, over real HTTP: an event is counted once per identifier,
refused with Stripe's code when it cannot be billed (no meter, inactive meter, no or unknown customer, no or
bad value, too old, too far ahead), and the summaries add a customer's events up by the meter's formula."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.server import FakeStripeServer

from .metering import Metering

DAY = 86400


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def refusal(metering: Metering, **spec) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        metering.client.v1.billing.meter_events.create(spec)
    assert refused.value.http_status == 400
    return refused.value


def test_an_event_is_answered_as_stripe_does_and_counted(metering: Metering) -> None:
    customer = metering.customer()
    answer = metering.report(customer, 25, identifier="call-1")

    assert answer.object == "billing.meter_event" and answer.identifier == "call-1"
    assert answer.timestamp == metering.fake.now() and answer.payload["value"] == "25"
    metering.report(customer, 5)  # an identifier is made when none is given
    assert metering.usage(customer) == [30.0]
    assert metering.usage(metering.customer()) == [0.0]  # another customer's usage is their own


def test_an_identifier_is_counted_once(metering: Metering) -> None:
    customer = metering.customer()
    metering.report(customer, 7, identifier="call-1")

    duplicate = refusal(
        metering,
        event_name="api_call",
        identifier="call-1",
        payload={"stripe_customer_id": customer, "value": "7"},
    )

    assert duplicate.code == "duplicate_meter_event" and duplicate.param == "identifier"
    assert metering.usage(customer) == [7.0]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"event_name": "unknown_event"}, "no_meter"),
        ({"payload": {"value": "1"}}, "meter_event_no_customer_defined"),
        ({"payload": {"stripe_customer_id": "cus_nope", "value": "1"}}, "meter_event_customer_not_found"),
        ({"payload": {"stripe_customer_id": "CUSTOMER"}}, "meter_event_value_not_found"),
        ({"payload": {"stripe_customer_id": "CUSTOMER", "value": "many"}}, "meter_event_invalid_value"),
        ({"payload": {"stripe_customer_id": "CUSTOMER", "value": "-5"}}, "meter_event_invalid_value"),
        ({"payload": {"stripe_customer_id": "CUSTOMER", "value": "NaN"}}, "meter_event_invalid_value"),
        ({"timestamp": "NOW-35-DAYS-1"}, "timestamp_too_far_in_past"),
        ({"timestamp": "NOW+301"}, "timestamp_in_future"),
    ],
)
def test_an_event_stripe_cannot_bill_is_refused_with_its_code(metering: Metering, change: dict, code: str) -> None:
    customer, now = metering.customer(), metering.fake.now()
    spec = {"event_name": "api_call", "payload": {"stripe_customer_id": customer, "value": "1"}, **change}
    spec["payload"] = {k: customer if v == "CUSTOMER" else v for k, v in spec["payload"].items()}
    times = {"NOW-35-DAYS-1": now - 35 * DAY - 1, "NOW+301": now + 301}
    if "timestamp" in spec:
        spec["timestamp"] = times[spec["timestamp"]]

    assert refusal(metering, **spec).code == code
    assert metering.usage(customer) == [0.0]


def test_the_edges_of_the_time_window_are_counted(metering: Metering) -> None:
    customer, now = metering.customer(), metering.fake.now()
    metering.report(customer, 1, timestamp=now - 35 * DAY)
    metering.report(customer, 2, timestamp=now + 300)
    assert metering.usage(customer) == [3.0]


def test_an_inactive_meter_refuses_events_and_keeps_what_it_counted(metering: Metering) -> None:
    customer = metering.customer()
    metering.report(customer, 4)
    metering.client.v1.billing.meters.deactivate(metering.meter.id)

    refused = refusal(metering, event_name="api_call", payload={"stripe_customer_id": customer, "value": "1"})

    assert refused.code == "archived_meter"
    assert metering.usage(customer) == [4.0]


def test_a_deleted_customer_is_not_found(metering: Metering) -> None:
    customer = metering.customer()
    metering.client.v1.customers.delete(customer)
    refused = refusal(metering, event_name="api_call", payload={"stripe_customer_id": customer, "value": "1"})
    assert refused.code == "meter_event_customer_not_found"


def test_count_and_last_formulas(metering: Metering) -> None:
    customer, now = metering.customer(), metering.fake.now()
    calls, seats = metering.new_meter("calls", "count"), metering.new_meter("seats", "last")
    metering.client.v1.billing.meter_events.create({"event_name": "calls", "payload": {"stripe_customer_id": customer}})
    metering.report(customer, 9, event_name="calls")
    metering.report(customer, 5, event_name="seats", timestamp=now - 10)
    metering.report(customer, 3, event_name="seats", timestamp=now - 20)  # older: not the last one

    assert metering.usage(customer, calls.id) == [2.0]
    assert metering.usage(customer, seats.id) == [5.0]


def test_a_meter_reads_its_own_payload_keys(metering: Metering) -> None:
    customer = metering.customer()
    tokens = metering.new_meter(
        "tokens",
        customer_mapping={"event_payload_key": "account", "type": "by_id"},
        value_settings={"event_payload_key": "n"},
    )
    metering.client.v1.billing.meter_events.create(
        {"event_name": "tokens", "payload": {"account": customer, "n": "12"}}
    )
    assert metering.usage(customer, tokens.id) == [12.0]
    refused = refusal(metering, event_name="tokens", payload={"stripe_customer_id": customer, "value": "1"})
    assert refused.code == "meter_event_no_customer_defined"


def test_summaries_group_by_day_and_hour(metering: Metering) -> None:
    customer, now = metering.customer(), metering.fake.now()
    today = now // DAY * DAY
    metering.report(customer, 1, timestamp=today - DAY + 10)
    metering.report(customer, 2, timestamp=max(today, now - 3 * DAY // 4))

    by_day = metering.client.v1.billing.meters.event_summaries.list(
        metering.meter.id,
        {"customer": customer, "start_time": today - 2 * DAY, "end_time": today + DAY, "value_grouping_window": "day"},
    )
    assert [(s.start_time, s.aggregated_value) for s in by_day.data] == [
        (today - 2 * DAY, 0.0),
        (today - DAY, 1.0),
        (today, 2.0),
    ]
    summaries = metering.client.v1.billing.meters.event_summaries.list(
        metering.meter.id,
        {
            "customer": customer,
            "start_time": today - DAY,
            "end_time": today,
            "value_grouping_window": "hour",
            "limit": 100,
        },
    )
    assert len(summaries.data) == 24 and summaries.data[0].aggregated_value == 1.0
    assert {s.end_time - s.start_time for s in summaries.data} == {3600}
    assert summaries.data[0].object == "billing.meter_event_summary" and summaries.data[0].meter == metering.meter.id


@pytest.mark.parametrize(
    "change, message",
    [
        ({"start_time": "START+1"}, "aligned with minute"),
        ({"value_grouping_window": "day", "start_time": "START+60"}, "aligned with day"),
        ({"end_time": "BEGIN"}, "after start_time"),
        ({"value_grouping_window": "week"}, "value_grouping_window"),
    ],
)
def test_a_bad_summary_range_is_a_400(metering: Metering, change: dict, message: str) -> None:
    start = metering.fake.now() // DAY * DAY
    params = {"customer": metering.customer(), "start_time": start - DAY, "end_time": start, **change}
    params = {
        k: {"BEGIN": start - DAY, "START+1": start + 1, "START+60": start + 60}.get(v, v) for k, v in params.items()
    }
    with pytest.raises(stripe.InvalidRequestError, match=message) as refused:
        metering.client.v1.billing.meters.event_summaries.list(metering.meter.id, params)
    assert refused.value.http_status == 400


def test_summaries_need_a_known_customer(metering: Metering) -> None:
    start = metering.fake.now() // DAY * DAY
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        metering.client.v1.billing.meters.event_summaries.list(
            metering.meter.id, {"customer": "cus_nope", "start_time": start - DAY, "end_time": start}
        )
    with pytest.raises(stripe.InvalidRequestError, match="customer"):
        metering.client.v1.billing.meters.event_summaries.list(
            metering.meter.id, {"start_time": start - DAY, "end_time": start}
        )
