"""Batches of stored events applied in one transaction: a poisoned event fails alone, states of one object
collapse to the newest, every other handler still runs once per event, and a claimed event is skipped by a
second claim."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_stripe.models import Customer, Invoice, Subscription, WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory, InvoicePayloadFactory, SubscriptionPayloadFactory
from django_stripe.webhooks.batches import process_batch
from django_stripe.webhooks.ledger import claim
from django_stripe.webhooks.queue import enqueue_events

from .events import stored
from .test_processing import handler, statements  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

T = 1_767_225_600


def test_a_poisoned_event_fails_alone_and_the_rest_of_the_batch_applies(handler):  # noqa: F811
    @handler("customer.updated")
    def poisoned(event):
        if event.payload["data"]["object"]["name"] == "poison":
            raise ValueError("cannot digest this one")

    good = [CustomerPayloadFactory() for _ in range(3)]
    bad = CustomerPayloadFactory(name="poison")
    events = [stored("customer.updated", customer, created=T + n) for n, customer in enumerate([*good[:2], bad])]
    events.append(stored("customer.updated", good[2], created=T + 5))

    outcome = process_batch([event.id for event in events])

    assert {status: set(ids) for status, ids in outcome.items()} == {
        "processed": {events[0].id, events[1].id, events[3].id},
        "failed": {events[2].id},
    }
    assert set(Customer.objects.values_list("id", flat=True)) == {customer["id"] for customer in good}
    failed = WebhookEvent.objects.get(id=events[2].id)
    assert (failed.status, failed.attempts, failed.error) == ("failed", 1, "ValueError: cannot digest this one")
    assert failed.next_attempt_at is not None and "poisoned" in failed.traceback
    assert WebhookEvent.objects.filter(status="processed").count() == 3


def test_states_of_one_object_collapse_to_the_newest_and_other_handlers_still_run(handler):  # noqa: F811
    seen = []

    @handler("invoice.*")
    def count(event):
        seen.append(event.id)

    invoice = InvoicePayloadFactory(status="draft")
    created = stored("invoice.created", invoice, created=T)
    finalized = stored("invoice.finalized", {**invoice, "status": "open"}, created=T + 1)
    paid = stored("invoice.paid", {**invoice, "status": "paid"}, created=T + 2)
    ids = [paid.id, created.id, finalized.id]

    with CaptureQueriesContext(connection) as queries:
        outcome = process_batch(ids)

    assert outcome == {"processed": [created.id, finalized.id, paid.id]}  # oldest first
    assert Invoice.objects.get(id=invoice["id"]).status == "paid"
    assert seen == [created.id, finalized.id, paid.id]
    # The claim, one guarded upsert of the newest state (a lookup and an insert), the mark.
    assert len(statements(queries)) == 4


def test_a_deletion_is_never_collapsed_away():
    subscription = SubscriptionPayloadFactory(status="active")
    deleted = stored("customer.subscription.deleted", {**subscription, "status": "canceled"}, created=T)
    updated = stored("customer.subscription.updated", subscription, created=T + 1)
    process_batch([deleted.id, updated.id])
    assert Subscription.objects.get(id=subscription["id"]).deleted is True


def test_same_second_states_are_not_collapsed():
    customer = CustomerPayloadFactory()
    first = stored("customer.created", customer, created=T)
    second = stored("customer.updated", customer, created=T)
    outcome = process_batch([first.id, second.id])
    assert sorted(outcome["processed"]) == sorted([first.id, second.id])


def test_done_events_are_not_claimed_again():
    event = stored("customer.created", CustomerPayloadFactory())
    assert process_batch([event.id]) == {"processed": [event.id]}
    assert process_batch([event.id]) == {}
    assert WebhookEvent.objects.get().attempts == 1


def test_enqueue_events_sends_batches_and_counts_what_was_sent():
    events = [stored("customer.created", CustomerPayloadFactory(), created=T + n) for n in range(250)]
    assert enqueue_events([event.id for event in events]) == 250  # eager Celery: three messages, applied
    assert WebhookEvent.objects.filter(status="processed").count() == 250
    assert Customer.objects.count() == 250


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claimed_event_is_skipped_by_a_second_claim():
    from django.db import connections, transaction

    events = [stored("customer.created", CustomerPayloadFactory(), created=T + n) for n in range(4)]
    ids = [event.id for event in events]
    claimed, released = threading.Event(), threading.Event()
    second_claim = []

    def other_worker():
        claimed.wait(10)
        with transaction.atomic():
            second_claim.extend(event.id for event in claim(ids))
        connections.close_all()
        released.set()

    worker = threading.Thread(target=other_worker)
    worker.start()
    with transaction.atomic():
        first_claim = [event.id for event in claim(ids[:2])]
        claimed.set()
        released.wait(10)
    worker.join(10)
    assert first_claim == ids[:2]
    assert second_claim == ids[2:]
