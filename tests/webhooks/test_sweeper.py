"""The sweeper: events left pending, and failed events whose retry never came (it could not be published,
or Celery ran eagerly), are sent again once due; an event sent recently is not sent again at every sweep."""

from datetime import timedelta
from functools import partial

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from django_stripe.models import Customer, WebhookEvent
from django_stripe.tasks import process_webhook_event, sweep_webhook_events
from django_stripe.testing.factories import CustomerPayloadFactory
from django_stripe.webhooks import webhook_handler
from django_stripe.webhooks.dispatch import dispatcher
from django_stripe.webhooks.ledger import store_event
from django_stripe.webhooks.processing import process_event
from django_stripe.webhooks.registry import unregister
from django_stripe.webhooks.retries import MAX_ATTEMPTS, RESEND_FACTOR

from .conftest import event
from .events import stored

pytestmark = pytest.mark.django_db


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def failing_handler(failures: float):
    """A project handler for customer.created that raises for its first `failures` calls; yields the calls."""
    calls = []

    @webhook_handler("customer.created")
    def flaky(event):
        calls.append(event.id)
        if len(calls) <= failures:
            raise RuntimeError("downstream unavailable")

    yield calls
    unregister(flaky)


@pytest.fixture
def failing_once():
    yield from failing_handler(1)


@pytest.fixture
def always_failing():
    yield from failing_handler(float("inf"))


def test_a_failed_event_is_retried_by_the_sweeper_once_its_backoff_has_elapsed(failing_once):
    customer = CustomerPayloadFactory()
    event = stored("customer.created", customer)
    before = timezone.now()
    assert process_event(event.id) == "failed"  # eager Celery: the task never retries it
    after = timezone.now()
    event.refresh_from_db()
    # Due once the first retry's longest wait is over: 10 s and a quarter of it as jitter, whole seconds.
    assert before + timedelta(seconds=12) <= event.next_attempt_at <= after + timedelta(seconds=12)

    assert sweep_webhook_events(older_than_seconds=60) == 0  # not due yet

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=ago(61))  # its backoff, and a minute more
    assert sweep_webhook_events(older_than_seconds=60) == 1
    event.refresh_from_db()
    assert (event.status, event.attempts, event.next_attempt_at) == ("processed", 2, None)
    assert Customer.objects.filter(pk=customer["id"]).exists()


def test_a_failed_event_whose_attempts_are_spent_is_left_for_a_replay(failing_once):
    event = stored("customer.created", CustomerPayloadFactory())
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=MAX_ATTEMPTS - 1)

    assert process_event(event.id) == "failed"

    event.refresh_from_db()
    assert (event.attempts, event.next_attempt_at) == (MAX_ATTEMPTS, None)
    # Overdue all the same (as a row from before the schedule could be): only its attempts hold it back.
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=ago(3600), next_attempt_at=ago(3600))
    assert sweep_webhook_events(older_than_seconds=0) == 0

    WebhookEvent.objects.filter(pk=event.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert sweep_webhook_events(older_than_seconds=0) == 1


def run_message(event_id: str, retries: int) -> bool:
    """Run the task as a worker runs the message `retries` deep in a retry chain; whether it asked for one
    more. (Run directly, Celery's `retry` raises Retry instead of publishing: no countdown to wait for.)"""
    process_webhook_event.push_request(retries=retries)
    try:
        process_webhook_event.run(event_id)
    except Retry:
        return True
    finally:
        process_webhook_event.pop_request()
    return False


def test_an_event_failing_every_time_is_tried_max_attempts_times_even_when_the_sweeper_sends_it_again(
    always_failing,
):
    event = stored("customer.created", CustomerPayloadFactory())
    # The endpoint's message and two of its retries ran; the broker failed as the third was published.
    assert [run_message(event.id, retries) for retries in range(3)] == [True, True, True]

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=ago(61))  # overdue
    assert sweep_webhook_events(older_than_seconds=60) == 1  # a new chain, whose first message runs eagerly
    retries = 1
    while retries < 3 * MAX_ATTEMPTS and run_message(event.id, retries):  # that chain's own retries
        retries += 1

    event.refresh_from_db()
    assert len(always_failing) == event.attempts == MAX_ATTEMPTS
    assert (event.status, event.next_attempt_at) == ("failed", None)


def test_an_event_sent_recently_is_not_sent_again_at_every_sweep():
    event = stored("customer.created", CustomerPayloadFactory())
    sent_a_sweep_ago = ago(60)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=ago(120), enqueued_at=sent_a_sweep_ago)

    assert sweep_webhook_events(older_than_seconds=60) == 0  # probably still in a busy queue

    WebhookEvent.objects.filter(pk=event.pk).update(enqueued_at=ago(RESEND_FACTOR * 60 + 1))
    assert sweep_webhook_events(older_than_seconds=60) == 1
    event.refresh_from_db()
    assert event.status == "processed"
    assert event.enqueued_at > sent_a_sweep_ago


def test_an_event_is_marked_sent_when_the_dispatcher_sends_it(django_capture_on_commit_callbacks):
    before = timezone.now()
    delivered = event("customer.created", CustomerPayloadFactory())
    listed = event("customer.created", CustomerPayloadFactory())  # the catch-up sends its events later

    with django_capture_on_commit_callbacks(execute=True):
        assert store_event(delivered) and store_event(listed)
        transaction.on_commit(partial(dispatcher.send, delivered["id"]))  # as the endpoint does with a new event

    sent = WebhookEvent.objects.get(pk=delivered["id"])
    assert sent.enqueued_at >= before and sent.status == "processed"  # eager Celery: applied when sent
    assert WebhookEvent.objects.get(pk=listed["id"]).enqueued_at is None
