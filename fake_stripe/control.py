"""The HTTP server's control endpoints (`/_fake/...`): what a test or a script does to a standalone fake from
outside, as `FakeStripe`'s Python API does in-process. They answer JSON and never take an API key (the fake
listens on 127.0.0.1 and holds test data only); they are not API requests, so injected faults spare them."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from .dunning import NEXT_ATTEMPT_DAYS, OUTCOMES, Dunning
from .errors import invalid_request, parameter_invalid, resource_missing, unrecognized_url
from .params import Params, as_int, as_list, one_of
from .ratelimit import RateLimit

if TYPE_CHECKING:
    from .protocol import ControlledFake
    from .webhooks import Delivery

Response = tuple[int, dict[str, str], str]
JSON = {"Content-Type": "application/json"}
COMPLETE = re.compile(r"^/_fake/checkout/sessions/(?P<id>[^/]+)/complete$")
DELIVER_ONE = re.compile(r"^/_fake/events/(?P<id>[^/]+)/deliver$")
DELIVERY_MODES = ("immediate", "queued", "background")


def handle(fake: ControlledFake, method: str, path: str, params: Params) -> Response:
    """Answer a `/_fake/...` request; StripeError for a bad one (the caller renders it)."""
    if method == "GET" and path == "/_fake/events/queued":
        return _json({"object": "list", "data": fake.queued_events()})
    if method == "GET" and path == "/_fake/rate_limit":
        return _json({"rate_limit": fake.rate_limit.as_dict() if fake.rate_limit else None})
    if method == "GET" and path == "/_fake/meter_error_reports":
        return _json({"object": "list", "data": fake.usage.error_reports})
    if method != "POST":
        raise unrecognized_url(method, path)
    if found := COMPLETE.match(path):
        return _json(fake.complete_checkout_session(found["id"], params.get("payment_method") or "pm_card_visa"))
    if found := DELIVER_ONE.match(path):
        return _json({"deliveries": _deliver_one(fake, found["id"], params.get("url") or None)})
    if path == "/_fake/events/deliver":
        return _json({"deliveries": _deliver_queued(fake, params.get("url") or None)})
    if path == "/_fake/faults":
        return _json({"pending_faults": _inject_faults(fake, params)})
    if path == "/_fake/delivery_mode":
        fake.delivery_mode = one_of(params, "mode", DELIVERY_MODES) or "immediate"
        return _json({"delivery_mode": fake.delivery_mode})
    if path == "/_fake/clock/advance":
        fake.advance_clock(as_int(params, "seconds", 0))
        return _json({"now": fake.now()})
    if path == "/_fake/dunning":
        fake.dunning = _dunning(params)
        return _json({"dunning": dataclasses.asdict(fake.dunning) if fake.dunning else None})
    if path == "/_fake/rate_limit":
        fake.rate_limit = _rate_limit(params)
        return _json({"rate_limit": fake.rate_limit.as_dict() if fake.rate_limit else None})
    if path == "/_fake/meter_events/process":
        fake.process_meter_events()
        return _json({"pending": len(fake.usage.pending), "error_reports": len(fake.usage.error_reports)})
    if path == "/_fake/reset":
        fake.reset()
        return _json({"reset": True})
    raise unrecognized_url(method, path)


def _json(payload: Any) -> Response:
    return 200, JSON, json.dumps(payload)


def _deliver_one(fake: ControlledFake, event_id: str, url: str | None) -> list[dict[str, Any]]:
    """Any event, queued or not, as many times as asked: to `url` or to every endpoint that wants it."""
    event = fake.get(event_id)
    if event is None or event["object"] != "event":
        raise resource_missing("event", event_id)
    return _report(lambda: fake.deliver(event, url))


def _deliver_queued(fake: ControlledFake, url: str | None) -> list[dict[str, Any]]:
    """Every queued event, oldest first; with `url`, to that endpoint only."""
    if url is None:
        return _report(fake.deliver_queued)
    return _report(lambda: [delivery for event in fake.queued_events() for delivery in fake.deliver(event, url)])


def _report(deliver: Any) -> list[dict[str, Any]]:
    try:
        deliveries: list[Delivery] = deliver()
    except ValueError as exc:  # no endpoint on that URL: nothing was delivered
        raise invalid_request(str(exc), "url") from None
    return [dataclasses.asdict(delivery) for delivery in deliveries]


def _inject_faults(fake: ControlledFake, params: Params) -> int:
    """`count` (default 1) next API requests answer `status` (429 or 5xx; `none`: only delayed) after `delay` s;
    with `path` (a prefix: `/v2/billing/meter_event_stream`), only the requests to paths under it."""
    count = as_int(params, "count", 1)
    if not 1 <= count <= 1000:
        raise parameter_invalid("count", "count must be between 1 and 1000.", "parameter_invalid_integer")
    only_delay = str(params.get("status") or "").lower() == "none"
    status = None if only_delay else as_int(params, "status", 500)
    if status is not None and status != 429 and not 500 <= status <= 599:
        raise parameter_invalid("status", "status must be 429, a 5xx, or none.", "parameter_invalid_integer")
    delay = _seconds(params, "delay")
    if status is None and not delay:
        raise invalid_request("A fault needs a status, a delay, or both.", "delay")
    path = str(params.get("path") or "")
    if path and not path.startswith(("/v1/", "/v2/")):
        raise parameter_invalid("path", "path must be an API path prefix such as /v1/billing/meter_events.")
    fake.fail_next(count, status=status, delay=delay, path=path)
    return fake.pending_faults()


def _dunning(params: Params) -> Dunning | None:
    """`retry_days[]=1&retry_days[]=2&then=unpaid` retries on the clock; `then=off` (or nothing) retries nothing."""
    then = params.get("then") or "off"
    if then == "off":
        return None
    one_of(params, "then", OUTCOMES)
    days = [as_int({"retry_days": day}, "retry_days") for day in as_list(params, "retry_days")]
    if any(day is None or day < 0 for day in days):
        raise parameter_invalid("retry_days", "retry_days are days from 0 up.", "parameter_invalid_integer")
    return Dunning(tuple(day for day in days if day is not None) if "retry_days" in params else NEXT_ATTEMPT_DAYS, then)


def _rate_limit(params: Params) -> RateLimit | None:
    """`per_second=25` (and `burst=5`): a new bucket, full, counts from 0; `per_second=off` (or nothing): none."""
    value = str(params.get("per_second") or "off").lower()
    if value == "off":
        return None
    rate, burst = _positive(params, "per_second"), _positive(params, "burst") if params.get("burst") else None
    if burst is not None and burst < 1:
        raise parameter_invalid("burst", "burst must be at least 1.", "parameter_invalid_decimal")
    return RateLimit(per_second=rate, burst=burst)


def _positive(params: Params, name: str) -> float:
    try:
        value = float(str(params.get(name)))
    except (TypeError, ValueError):
        value = 0.0
    if not 0 < value <= 100_000:
        raise parameter_invalid(name, f"{name} must be a number above 0 (or off).", "parameter_invalid_decimal")
    return value


def _seconds(params: Params, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= 300:
        raise parameter_invalid(name, f"{name} must be a number of seconds from 0 to 300.", "parameter_invalid_decimal")
    return seconds
