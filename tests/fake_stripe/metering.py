"""What the fake's usage tests share: a client on the fake over real HTTP whose `meter_events` base address is
the fake too (as client.py points it when STRIPE_API_BASE is set), a meter, a customer with a card, the v2
stream on a session, summaries and raw requests. Imported by the fake's, the security and the reliability tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe

from fake_stripe import FakeStripe
from fake_stripe.server import FakeStripeServer


@dataclass
class Metering:
    fake: FakeStripe
    url: str
    client: stripe.StripeClient
    meter: stripe.billing.Meter = field(init=False)

    def __post_init__(self) -> None:
        self.meter = self.new_meter("api_call")

    @classmethod
    def on(cls, server: FakeStripeServer) -> Metering:
        return cls(server.fake, server.url, client_on(server.url, "sk_test_metering"))

    def new_meter(self, event_name: str, formula: str = "sum", **extra: Any) -> stripe.billing.Meter:
        spec = {"display_name": event_name, "event_name": event_name, "default_aggregation": {"formula": formula}}
        return self.client.v1.billing.meters.create({**spec, **extra})

    def customer(self) -> str:
        return self.client.v1.customers.create({"email": "ana@example.com", "payment_method": "pm_card_visa"}).id

    def report(self, customer: str, value: Any = 1, event_name: str = "api_call", **extra: Any) -> Any:
        """A v1 meter event."""
        payload = {"stripe_customer_id": customer, "value": str(value)}
        return self.client.v1.billing.meter_events.create({"event_name": event_name, "payload": payload, **extra})

    def stream(self) -> stripe.StripeClient:
        """A client on a new v2 meter event session (its token is the bearer)."""
        session = self.client.v2.billing.meter_event_session.create()
        return client_on(self.url, session.authentication_token)

    def usage(self, customer: str, meter: str | None = None, window: str | None = None) -> list[float]:
        """The meter's summaries for `customer` over the last 40 days to 10 minutes ahead (whole minutes)."""
        now = self.fake.now()
        start, end = (now - 40 * 86400) // 86400 * 86400, (now + 600) // 86400 * 86400 + 86400
        params: dict[str, Any] = {"customer": customer, "start_time": start, "end_time": end}
        if window:
            params.update(value_grouping_window=window, limit=100)
        summaries = self.client.v1.billing.meters.event_summaries.list(meter or self.meter.id, params)
        return [summary.aggregated_value for summary in summaries.data]

    def raw(
        self, method: str, path: str, body: bytes | None = None, token: str = "sk_test_metering"
    ) -> tuple[int, Any]:
        """One HTTP request (JSON body as given): status and JSON answer."""
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header(
            "Content-Type", "application/json" if path.startswith("/v2/") else "application/x-www-form-urlencoded"
        )
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def client_on(url: str, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": url, "meter_events": url}, max_network_retries=0)


def event(customer: str, identifier: str, value: Any = 1, event_name: str = "api_call", at: int | None = None) -> dict:
    """A v2 stream event (its timestamp in ISO 8601, as the v2 API takes it)."""
    spec = {
        "event_name": event_name,
        "identifier": identifier,
        "payload": {"stripe_customer_id": customer, "value": str(value)},
    }
    if at is not None:
        spec["timestamp"] = datetime.fromtimestamp(at, UTC).isoformat()
    return spec
