"""The fake's meter event stream under a storm, over real HTTP: senders on threads push batches of 100 while
the stream answers a run of 500s and 429s, their session expires midway, and a sender that "crashed" after a
batch was accepted (its answer never recorded) sends that batch again. Every batch is retried until accepted,
and the renewal's invoice bills exactly the usage reported: nothing lost, nothing counted twice."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request

import pytest
import stripe

from fake_stripe.server import FakeStripeServer
from tests.fake_stripe.metering import Metering, event

SENDERS, BATCHES_EACH, BATCH = 4, 5, 100
STREAM = "/v2/billing/meter_event_stream"


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def storm(metering: Metering, status: int, count: int) -> None:
    body = urllib.parse.urlencode({"count": count, "status": status, "path": STREAM}).encode()
    urllib.request.urlopen(urllib.request.Request(metering.url + "/_fake/faults", data=body, method="POST")).close()


class Sender:
    """Sends its batches in order, each until the stream accepts it, on a new session when the old expires."""

    def __init__(self, metering: Metering, customer: str, number: int) -> None:
        self.metering, self.customer, self.number = metering, customer, number
        self.answers: list[str] = []
        self.stream: stripe.StripeClient | None = None
        """Its session, kept from one run to the next (so it may expire in between)."""

    def batch(self, index: int) -> list[dict]:
        first = index * BATCH
        return [event(self.customer, f"s{self.number}-{n}", value=n % 7 + 1) for n in range(first, first + BATCH)]

    def run(self) -> None:
        for index in range(BATCHES_EACH):
            self.send(self.batch(index))
            if index == 2:  # crashed after the stream accepted it, before noting it: the restart resends it
                self.send(self.batch(index))

    def send(self, events: list[dict]) -> None:
        while True:
            if self.stream is None:
                self.stream = self.metering.stream()
            try:
                self.stream.v2.billing.meter_event_stream.create({"events": events})
                self.answers.append("accepted")
                return
            except stripe.TemporarySessionExpiredError:
                self.answers.append("expired")
                self.stream = None
            except stripe.RateLimitError:
                self.answers.append("429")
            except stripe.APIError:
                self.answers.append("500")


def test_the_invoice_bills_exactly_the_usage_reported_through_a_storm(metering: Metering) -> None:
    recurring = {"interval": "month", "usage_type": "metered", "meter": metering.meter.id}
    price = metering.client.v1.prices.create(
        {"product_data": {"name": "API calls"}, "currency": "usd", "unit_amount": 2, "recurring": recurring}
    )
    customers = [metering.customer() for _ in range(SENDERS)]
    subscriptions = [
        metering.client.v1.subscriptions.create({"customer": customer, "items": [{"price": price.id}]})
        for customer in customers
    ]
    storm(metering, 500, 30)
    storm(metering, 429, 30)
    senders = [Sender(metering, customer, number) for number, customer in enumerate(customers)]
    threads = [threading.Thread(target=sender.run) for sender in senders]
    for thread in threads[:2]:
        thread.start()
    for thread in threads[:2]:
        thread.join()
    metering.fake.advance_clock(15 * 60)  # the first senders' sessions expire; the others start after
    storm(metering, 500, 10)
    for sender in senders[:2]:
        sender.run()  # the first two run again from the start: every batch a resend
    for thread in threads[2:]:
        thread.start()
    for thread in threads[2:]:
        thread.join()

    answers = [answer for sender in senders for answer in sender.answers]
    assert answers.count("500") == 40 and answers.count("429") == 30 and "expired" in answers
    assert answers.count("accepted") == SENDERS * (BATCHES_EACH + 1) + 2 * (BATCHES_EACH + 1)
    assert metering.fake.pending_faults() == 0
    per_customer = sum(n % 7 + 1 for n in range(BATCHES_EACH * BATCH))
    end = subscriptions[0]["items"].data[0].current_period_end
    metering.fake.advance_clock(end - metering.fake.now())
    for subscription in subscriptions:
        invoice = metering.client.v1.invoices.retrieve(
            metering.client.v1.subscriptions.retrieve(subscription.id).latest_invoice
        )
        assert invoice.lines.data[0].quantity == per_customer and invoice.total == 2 * per_customer
    assert len(metering.fake.usage.counted) == SENDERS * BATCHES_EACH * BATCH
    assert metering.fake.usage.error_reports == []
