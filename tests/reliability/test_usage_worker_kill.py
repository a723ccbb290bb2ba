"""The usage outbox with real parts only: PostgreSQL, a Redis broker, `celery worker` subprocesses and the fake
Stripe over HTTP. A worker SIGKILLed mid-batch (its stream request accepted by Stripe after it died), then the
stream answering a storm of 500s and 429s: the renewal's invoice bills exactly the usage reported, counted once;
a report rolled back with its transaction is never sent."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import UsageReport
from django_stripe.payments.usage_reports import publish_send
from tests.usage.conftest import EVENT_NAME, create_meter
from tests.webhooks.workers import Worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

STREAM = "/v2/billing/meter_event_stream"
REPORTS, UNIT_AMOUNT = 1500, 2


@pytest.fixture
def start_worker(queue, stripe_fake_server, settings, tmp_path):
    workers: list[Worker] = []

    def start(concurrency: int) -> Worker:
        env = {"STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY, "STRIPE_API_BASE": settings.STRIPE_API_BASE}
        worker = Worker(queue, tmp_path / f"worker-{len(workers)}.log", concurrency, **env)
        workers.append(worker.start())
        return worker

    yield start
    for worker in workers:
        worker.stop()


def sending_transactions() -> int:
    """Open transactions of other connections holding outbox rows (a worker mid-send)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state LIKE 'idle in transaction%%'"
        )
        return cursor.fetchone()[0]


def metered_subscriber(make_user):
    client = get_client()
    meter = create_meter()
    price = client.v1.prices.create(
        {
            "product_data": {"name": "API calls"},
            "currency": "usd",
            "unit_amount": UNIT_AMOUNT,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    customer = client.v1.customers.create({"email": "ana@example.com", "payment_method": "pm_card_visa"})
    subscription = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    user = make_user("ana")
    user.stripe_customer_id = customer.id
    user.save(update_fields=["stripe_customer_id"])
    return user, subscription


def test_a_worker_killed_mid_batch_and_a_storm_of_500s_and_429s_bill_exactly_the_usage_reported(
    stripe_fake_server, make_user, start_worker
):
    fake = stripe_fake_server
    user, subscription = metered_subscriber(make_user)
    # The first stream request hangs at Stripe, which takes it after the worker that sent it is dead.
    fake.fail_next(1, status=None, delay=4, path=STREAM)
    reported = 0
    for n in range(REPORTS):
        with transaction.atomic():  # as requests report it: each its own commit, each scheduling a send
            payments.report_usage(user, EVENT_NAME, n % 5 + 1, identifier=f"call-{n}")
        reported += n % 5 + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        payments.report_usage(user, EVENT_NAME, 1_000_000, identifier="rolled-back")
        raise RuntimeError("the request failed")

    worker = start_worker(1)  # one process: the one claim hung at its first batch, no other sending meanwhile
    wait_for(lambda: fake.pending_faults() == 0 and sending_transactions() == 1, 60, "a worker mid-batch")
    worker.kill()
    wait_for(lambda: sending_transactions() == 0, 30, "the killed worker's claim rolled back")
    assert UsageReport.objects.filter(state="pending").count() == REPORTS  # nothing was recorded as sent
    wait_for(lambda: len(fake.usage.pending) == 100, 30, "the hung batch taken by Stripe all the same")

    for status in (500, 429, 503, 429):
        fake.fail_next(3, status=status, path=STREAM)
    start_worker(2)
    assert publish_send()  # what the beat sweep does when rows are left pending
    wait_for(lambda: not UsageReport.objects.exclude(state="sent").exists(), 120, "every report sent")
    assert fake.pending_faults() == 0  # the storm was met, not dodged

    end = subscription["items"].data[0].current_period_end
    fake.advance_clock(end - fake.now())  # Stripe counts the stream's events, then renews
    renewed = get_client().v1.subscriptions.retrieve(subscription.id)
    invoice = get_client().v1.invoices.retrieve(renewed.latest_invoice)
    (line,) = invoice.lines.data
    assert line.quantity == reported and invoice.total == reported * UNIT_AMOUNT
    assert len(fake.usage.counted) == REPORTS and "rolled-back" not in fake.usage.counted
    assert not UsageReport.objects.filter(identifier="rolled-back").exists()
