"""Faults around one event's processing, in-process (any database); the same faults with real processes are
in test_webhook_storm.py and test_database_loss.py.

An event is applied once its transaction commits. What runs after the commit (the signals, the access cache's
invalidation) may fail, e.g. the cache's Redis is down: that is logged, and the event stays processed.

Before the fix, the exception of an on-commit receiver came out of `process_event`'s atomic block after the
commit, so the event was recorded `failed` (attempts 2) and the task retried it: applied twice, or left
`failed` for good when the broker (the same Redis) was down too. The 2,000-delivery test restarts Redis while
workers apply events, which is exactly that.

When the database connection dies mid-event, the failure cannot even be recorded: process_event raises. The
task used to end there, and an event that an earlier attempt had already marked failed was never tried again
(the sweeper only re-sends pending events). test_database_loss.py found it; the task now retries.
"""

from __future__ import annotations

from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db import OperationalError

from django_stripe.models import Subscription, WebhookEvent
from django_stripe.signals import webhook_event_processed
from django_stripe.tasks import process_webhook_event
from django_stripe.testing.factories import SubscriptionPayloadFactory
from django_stripe.webhooks.processing import process_event
from tests.webhooks.events import stored
from tests.webhooks.workers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def subscription_event() -> WebhookEvent:
    return stored("customer.subscription.created", SubscriptionPayloadFactory(customer="cus_after_commit"))


def assert_applied_once(event: WebhookEvent) -> None:
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == ("processed", 1, "")
    assert Subscription.objects.filter(customer_id="cus_after_commit").count() == 1
    assert process_event(event.id) == "processed"  # a redelivery: not applied again
    event.refresh_from_db()
    assert event.attempts == 1


def test_a_receiver_failing_after_commit_leaves_the_event_processed(caplog):
    def broken_receiver(sender, event, **kwargs):
        raise RuntimeError("the project's receiver is broken")

    webhook_event_processed.connect(broken_receiver)
    try:
        event = subscription_event()
        assert process_event(event.id) == "processed"
    finally:
        webhook_event_processed.disconnect(broken_receiver)
    assert_applied_once(event)
    assert "the project's receiver is broken" in caplog.text  # logged, not swallowed silently


def test_the_access_cache_down_leaves_the_event_processed(settings, caplog):
    """The cache invalidation (customer_subscriptions_changed) talks to a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    event = subscription_event()
    assert process_event(event.id) == "processed"
    assert_applied_once(event)
    assert "ConnectionError" in caplog.text or "Connection refused" in caplog.text


def test_a_task_whose_database_died_mid_event_is_retried():
    event = subscription_event()
    process_webhook_event.push_request(id="task-1", retries=0, is_eager=False)
    try:
        with (
            mock.patch("django_stripe.tasks.process_event", side_effect=OperationalError("the connection is closed")),
            mock.patch.object(process_webhook_event, "retry", side_effect=Retry) as retry,
            pytest.raises(Retry),
        ):
            process_webhook_event.run(event.id)
    finally:
        process_webhook_event.pop_request()
    assert 10 <= retry.call_args.kwargs["countdown"] <= 12
