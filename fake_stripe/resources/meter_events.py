"""Meter events: usage reported to a meter, by its `event_name`, for the customer its `customer_mapping` payload
key names. Two ways in, as at Stripe:

- v1 `POST /v1/billing/meter_events` validates at once: a refused event is a 400 whose `code` says why (the codes
  of Stripe's meter error reports, below); a second event with an identifier already counted is refused with
  `code: duplicate_meter_event` and counted once.
- v2 `POST /v2/billing/meter_event_session` (the secret key) gives an `authentication_token` valid 15 minutes;
  `POST /v2/billing/meter_event_stream` with that token as the bearer takes up to 100 events (JSON, ISO 8601
  timestamps) and answers `{}` once their shape is right. They are validated and counted later, as Stripe does
  asynchronously: on the next summary read, clock advance (so before a renewal bills them), or
  `fake.process_meter_events()` (`POST /_fake/meter_events/process`). A duplicate is dropped silently; an event
  that cannot be counted goes into an error report (below).

Refusal codes: `no_meter` (no meter has that event name), `archived_meter` (its meter is inactive),
`meter_event_no_customer_defined` (the payload lacks the customer key), `meter_event_customer_not_found`,
`meter_event_value_not_found`, `meter_event_invalid_value` (not a number, or below 0),
`timestamp_too_far_in_past` (older than 35 days), `timestamp_in_future` (more than 5 minutes ahead).

An error report (what Stripe sends as `v1.billing.meter.error_report_triggered`, or `v1.billing.meter.
no_meter_found` for events no meter has) is one `billing.meter_error_report` per processing run and meter:
`{id, object, created, livemode, meter, validation_start, validation_end, developer_message_summary, reason:
{error_count, error_types: [{code, error_count, sample_errors: [{error_message, request: {id, identifier}}]}]}}`,
every refused event among the samples (Stripe shows a few), so a mirror can mark each one. It is emitted as an
event of that type whose `data.object` is the report, and kept in `fake.usage.error_reports`
(`GET /_fake/meter_error_reports`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from ..clock import DAY
from ..errors import StripeError, invalid_request, parameter_missing
from ..params import as_dict, as_int, require
from ..protocol import Fake
from ..routing import Request, routes
from ..store import StripeObject
from ..usage import CountedEvent, PendingEvent
from .meters import meter_for_event, meter_named

OLDEST = 35 * DAY
AHEAD = 5 * 60
SESSION_SECONDS = 15 * 60
STREAM_LIMIT = 100
STREAM_PATH = "/v2/billing/meter_event_stream"


class Refused(Exception):
    """Why a meter event cannot be counted: Stripe's code and message, and the meter that refused it."""

    def __init__(self, code: str, message: str, meter: StripeObject | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.meter = code, message, meter


# -- v1 ------------------------------------------------------------------------------------------------------


@routes.post("/v1/billing/meter_events")
def create_meter_event(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    event_name, payload = require(params, "event_name"), as_dict(params, "payload")
    if not payload:
        raise parameter_missing("payload")
    identifier = params.get("identifier") or fake.store.new_id("", 24)
    timestamp = as_int(params, "timestamp", fake.now())
    try:
        counted = validate(fake, event_name, payload, identifier, timestamp)
    except Refused as refused:
        raise invalid_request(refused.message, code=refused.code) from None
    if not fake.usage.count(counted):
        message = f"An event with identifier '{identifier}' already exists."
        raise invalid_request(message, "identifier", "duplicate_meter_event")
    return {
        "object": "billing.meter_event",
        "created": fake.now(),
        "event_name": event_name,
        "identifier": identifier,
        "livemode": False,
        "payload": payload,
        "timestamp": timestamp,
    }


def validate(fake: Fake, event_name: str, payload: dict[str, Any], identifier: str, timestamp: int) -> CountedEvent:
    """The event as its meter counts it, or `Refused` with Stripe's code."""
    meter = meter_for_event(fake.store, event_name)
    if meter is None:
        inactive = meter_named(fake.store, event_name)
        if inactive is not None:
            raise Refused("archived_meter", f"The meter for event_name '{event_name}' is inactive.", inactive)
        raise Refused("no_meter", f"No active meter was found for event_name '{event_name}'.")
    now = fake.now()
    if timestamp < now - OLDEST:
        raise Refused("timestamp_too_far_in_past", "The timestamp must be within the past 35 days.", meter)
    if timestamp > now + AHEAD:
        raise Refused("timestamp_in_future", "The timestamp must be no more than 5 minutes in the future.", meter)
    customer_key = meter["customer_mapping"]["event_payload_key"]
    customer = payload.get(customer_key)
    if not customer:
        raise Refused("meter_event_no_customer_defined", f"The payload has no '{customer_key}'.", meter)
    found = fake.store.get(customer)
    if found is None or found["object"] != "customer" or found.get("deleted"):
        raise Refused("meter_event_customer_not_found", f"No such customer: '{customer}'", meter)
    return CountedEvent(identifier, meter["id"], customer, _value(meter, payload), timestamp)


def _value(meter: StripeObject, payload: dict[str, Any]) -> float:
    value_key = meter["value_settings"]["event_payload_key"]
    raw = payload.get(value_key)
    if raw is None or raw == "":
        if meter["default_aggregation"]["formula"] == "count":
            return 1.0  # a count needs no value
        raise Refused("meter_event_value_not_found", f"The payload has no '{value_key}'.", meter)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 <= value < float("inf"):  # NaN fails too; usage is taken back by adjustments, not negative values
        raise Refused("meter_event_invalid_value", f"The value '{raw}' is not a number of 0 or more.", meter)
    return value


# -- v2 ------------------------------------------------------------------------------------------------------


@routes.post("/v2/billing/meter_event_session")
def create_session(request: Request) -> StripeObject:
    fake = request.fake
    now = fake.now()
    token = "mes_token_" + secrets.token_urlsafe(24)
    fake.usage.sessions[token] = now + SESSION_SECONDS
    return {
        "id": fake.store.new_id("mes_", 24),
        "object": "v2.billing.meter_event_session",
        "authentication_token": token,
        "created": _iso(now),
        "expires_at": _iso(now + SESSION_SECONDS),
        "livemode": False,
    }


@routes.post(STREAM_PATH)
def stream_events(request: Request) -> dict[str, Any]:
    """Accept up to 100 events of the right shape (nothing is counted now: see `process_pending`)."""
    fake = request.fake
    expires_at = fake.usage.sessions.get(request.credential)
    if expires_at is None or expires_at <= fake.now():
        raise StripeError(
            401,
            "The meter event session has expired or is not valid; create a new one.",
            type="temporary_session_expired",
            code="billing_meter_event_session_expired",
        )
    events = request.params.get("events")
    if not isinstance(events, list) or not events:
        raise parameter_missing("events")
    if len(events) > STREAM_LIMIT:
        raise invalid_request(f"A request takes at most {STREAM_LIMIT} events, not {len(events)}.", "events")
    accepted = [_shape(fake, event, index) for index, event in enumerate(events)]
    fake.usage.pending.extend(PendingEvent(event, request.request_id) for event in accepted)
    return {}


def _shape(fake: Fake, event: Any, index: int) -> dict[str, Any]:
    """A stream event with its identifier and timestamp (epoch seconds), or the 400 of a malformed one."""
    if not isinstance(event, dict):
        raise invalid_request("Each event must be an object.", f"events[{index}]")
    for name in ("event_name", "payload"):
        if not event.get(name):
            raise parameter_missing(f"events[{index}].{name}")
    if not isinstance(event["payload"], dict):
        raise invalid_request("The payload must be an object.", f"events[{index}].payload")
    timestamp = fake.now()
    if event.get("timestamp"):
        try:
            timestamp = int(datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00")).timestamp())
        except ValueError:
            raise invalid_request("The timestamp must be in ISO 8601.", f"events[{index}].timestamp") from None
    identifier = str(event.get("identifier") or fake.store.new_id("", 24))
    return {**event, "identifier": identifier, "timestamp": timestamp}


def process_pending(fake: Fake) -> None:
    """Validate and count the stream's accepted events, oldest first; report those that cannot be counted."""
    pending, fake.usage.pending = fake.usage.pending, []
    if not pending:
        return
    refusals: dict[str | None, list[tuple[Refused, PendingEvent]]] = {}
    for item in pending:
        event = item.event
        try:
            counted = validate(fake, event["event_name"], event["payload"], event["identifier"], event["timestamp"])
        except Refused as refused:
            refusals.setdefault(refused.meter["id"] if refused.meter else None, []).append((refused, item))
            continue
        fake.usage.count(counted)  # a duplicate is dropped
    for meter_id, refused in refusals.items():
        _report(fake, meter_id, refused)


def _report(fake: Fake, meter_id: str | None, refused: list[tuple[Refused, PendingEvent]]) -> None:
    by_code: dict[str, list[tuple[Refused, PendingEvent]]] = {}
    for entry in refused:
        by_code.setdefault(entry[0].code, []).append(entry)
    now = fake.now()
    report = {
        "id": fake.store.new_id("mtrerr_", 24),
        "object": "billing.meter_error_report",
        "created": now,
        "livemode": False,
        "meter": meter_id,
        "validation_start": now,
        "validation_end": now,
        "developer_message_summary": f"{len(refused)} meter event(s) could not be processed.",
        "reason": {
            "error_count": len(refused),
            "error_types": [
                {
                    "code": code,
                    "error_count": len(entries),
                    "sample_errors": [
                        {
                            "error_message": reason.message,
                            "request": {"id": item.request_id, "identifier": item.event["identifier"]},
                        }
                        for reason, item in entries
                    ],
                }
                for code, entries in by_code.items()
            ],
        },
    }
    fake.usage.error_reports.append(report)
    kind = "error_report_triggered" if meter_id else "no_meter_found"
    fake.emit(f"v1.billing.meter.{kind}", report)


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
