"""Retention: stripe_prune_events deletes old processed and ignored events only, in batches, and the endpoint
keeps storing events meanwhile."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from django_stripe.models import WebhookEvent
from django_stripe.tasks import prune_webhook_events
from django_stripe.testing.factories import CustomerPayloadFactory
from django_stripe.webhooks.ledger import store_event
from django_stripe.webhooks.retention import count_prunable, delete_batch, prune_events

from .conftest import event, post, sign

DAY = timedelta(days=1)


def ledger(days_ago: float, status: str, count: int = 1) -> list[str]:
    """`count` events stored as the endpoint stores them, then given `status` and received `days_ago`."""
    ids = []
    for _ in range(count):
        payload = event("customer.created", CustomerPayloadFactory())
        store_event(payload)
        ids.append(payload["id"])
    WebhookEvent.objects.filter(pk__in=ids).update(status=status, received_at=timezone.now() - days_ago * DAY)
    return ids


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in WebhookEvent.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def prune(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("stripe_prune_events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def old_and_new(db):
    """Old events of every status, and recent processed ones."""
    return {
        "old": {status: ledger(40, status, 2) for status in ("processed", "ignored", "pending", "failed")},
        "recent": ledger(5, "processed", 2),
    }


def test_only_old_processed_and_ignored_events_are_deleted(old_and_new):
    out, err = prune("--older-than", "30d")

    assert statuses() == {"processed": 2, "pending": 2, "failed": 2}
    assert set(WebhookEvent.objects.filter(status="processed").values_list("id", flat=True)) == set(
        old_and_new["recent"]
    )
    assert out.startswith("Deleted 4 events received before ") and "(2 processed, 2 ignored) in 2 batch(es)" in out
    assert err == ""


def test_the_default_retention_is_the_setting(old_and_new, settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 3
    prune()
    assert statuses() == {"pending": 2, "failed": 2}


def test_a_dry_run_counts_and_deletes_nothing(old_and_new):
    out, _ = prune("--older-than", "30d", "--dry-run")
    assert out.startswith("Would delete 4 events received before ")
    assert out.rstrip().endswith("(2 processed, 2 ignored). Pending and failed events are kept.")
    assert WebhookEvent.objects.count() == 10


@pytest.mark.parametrize(("age", "kept"), [("1000h", 10), ("960h", 6), ("57600m", 6), ("2h", 4)])
def test_hours_and_minutes_are_units_too(old_and_new, age, kept):
    prune("--older-than", age)
    assert WebhookEvent.objects.count() == kept


def test_less_than_stripes_retry_window_warns(old_and_new):
    _, err = prune("--older-than", "2h")
    assert "Stripe retries a delivery for up to 3 days" in err


@pytest.mark.parametrize("age", ["30", "30 days", "-1d", "0d", "1w"])
def test_an_age_without_a_known_unit_is_refused(db, age):
    with pytest.raises(CommandError, match="--older-than"):
        prune("--older-than", age)


def test_batches_follow_one_another_until_none_is_left(db):
    ledger(40, "processed", 25)
    ledger(40, "ignored", 4)
    ledger(1, "processed", 3)
    batches = []

    result = prune_events(30 * DAY, batch_size=10, progress=lambda r: batches.append(r.total))

    assert result.deleted == {"processed": 25, "ignored": 4} and result.batches == 4
    assert batches == [10, 20, 25, 29]
    assert count_prunable(timezone.now()) == {"processed": 3, "ignored": 0}


def test_each_batch_deletes_the_oldest_first(db):
    oldest, older, old = ledger(50, "processed"), ledger(45, "processed"), ledger(40, "processed")
    deleted, after = delete_batch("processed", timezone.now() - 30 * DAY, None, 2)
    assert deleted == 2 and not WebhookEvent.objects.filter(pk__in=oldest + older).exists()
    assert abs(after - (timezone.now() - 45 * DAY)) < timedelta(minutes=1)  # the newest of the batch
    assert delete_batch("processed", timezone.now() - 30 * DAY, after, 2)[0] == 1
    assert not WebhookEvent.objects.filter(pk__in=old).exists()


def test_the_task_prunes_with_the_setting(old_and_new, settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 30
    report = prune_webhook_events.delay().get()
    assert report["total"] == 4 and report["deleted"] == {"processed": 2, "ignored": 2}


# While a batch's transaction is open (PostgreSQL: SQLite has one writer at a time).


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_endpoint_stores_events_while_a_batch_is_uncommitted(live_server, webhook_secret):
    ledger(40, "processed", 50)
    payload = event("customer.created", CustomerPayloadFactory())
    body = json.dumps(payload).encode()

    with transaction.atomic():
        assert delete_batch("processed", timezone.now() - 30 * DAY, None, 100)[0] == 50
        # The batch's row locks and deletions are held: the endpoint, on its own connection, does not wait.
        response = post(live_server.url + "/api/webhook/", body, {"Stripe-Signature": sign(body)})
        assert response.status == 200

    assert WebhookEvent.objects.filter(pk=payload["id"]).exists()
    assert WebhookEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_a_worker_holds_is_skipped_not_waited_for():
    held, *_ = ledger(40, "processed", 5)
    done = threading.Event()
    outcome = {}

    def prune_elsewhere():
        try:
            outcome["result"] = prune_events(30 * DAY)
        finally:
            connection.close()
            done.set()

    with transaction.atomic():
        WebhookEvent.objects.select_for_update().get(pk=held)  # as a worker replaying it holds it
        threading.Thread(target=prune_elsewhere).start()
        assert done.wait(30), "the prune waited for the locked row"

    assert outcome["result"].deleted["processed"] == 4
    assert list(WebhookEvent.objects.values_list("id", flat=True)) == [held]
