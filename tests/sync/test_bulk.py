"""The page writer keeps the guarded upsert's rules: never backwards, tombstones final, ties settled."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from django_stripe import models
from django_stripe.sync.bulk import write_page
from django_stripe.sync.upsert import upsert
from django_stripe.testing.factories import CustomerPayloadFactory, SubscriptionPayloadFactory

from .seeding import subscribed_to_three_prices, with_items_cut

pytestmark = pytest.mark.django_db

T = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def customer(object_id: str, email: str) -> dict:
    return CustomerPayloadFactory(id=object_id, email=email)


def test_new_and_older_rows_are_written_newer_rows_and_tombstones_are_not():
    upsert(models.Customer, customer("cus_old", "old@example.com"), T - timedelta(seconds=10))
    upsert(models.Customer, customer("cus_new", "newer@example.com"), T + timedelta(seconds=10))
    upsert(models.Customer, customer("cus_gone", "gone@example.com"), T - timedelta(seconds=10), deleted=True)
    page = [customer(i, f"page-{i}@example.com") for i in ("cus_fresh", "cus_old", "cus_new", "cus_gone")]

    counts = write_page(models.Customer, page, T)

    rows = models.Customer.objects.in_bulk()
    assert (counts.created, counts.updated, counts.stale) == (1, 1, 2)
    assert rows["cus_fresh"].email == "page-cus_fresh@example.com" and rows["cus_fresh"].synced_at == T
    assert rows["cus_old"].email == "page-cus_old@example.com" and rows["cus_old"].synced_at == T
    assert rows["cus_new"].email == "newer@example.com"  # never moved backwards
    assert rows["cus_gone"].deleted and rows["cus_gone"].email == "gone@example.com"  # not resurrected


def test_a_same_second_state_that_differs_is_settled_by_stripe(stripe_fake):
    from .seeding import call

    live = call(stripe_fake, "POST", "/v1/customers", email="at-stripe@example.com")
    upsert(models.Customer, {**live, "email": "from-an-event@example.com"}, T)

    counts = write_page(models.Customer, [{**live, "email": "listed@example.com"}], T)

    assert counts.updated == 1
    assert models.Customer.objects.get(pk=live["id"]).email == "at-stripe@example.com"


def test_the_same_state_in_the_same_second_is_unchanged():
    payload = customer("cus_same", "same@example.com")
    upsert(models.Customer, payload, T)

    counts = write_page(models.Customer, [payload], T)

    assert counts.unchanged == 1


def test_a_listed_cancelled_subscription_tombstones_a_newer_row_and_its_items():
    active = SubscriptionPayloadFactory(id="sub_1", customer="cus_1", status="active")
    upsert(models.Subscription, active, T + timedelta(seconds=5))
    cancelled = {**active, "status": "canceled"}

    write_page(models.Subscription, [cancelled], T)

    row = models.Subscription.objects.get(pk="sub_1")
    assert row.deleted and row.status == "active"  # the flag flips, the newer data stays
    assert not models.SubscriptionItem.objects.filter(subscription_id="sub_1", deleted=False).exists()


def test_subscription_items_follow_the_page():
    first = SubscriptionPayloadFactory(id="sub_2", customer="cus_2")
    write_page(models.Subscription, [first], T)
    old_items = set(models.SubscriptionItem.objects.filter(subscription_id="sub_2").values_list("id", flat=True))
    swapped = SubscriptionPayloadFactory(id="sub_2", customer="cus_2")

    write_page(models.Subscription, [swapped], T + timedelta(seconds=1))

    items = models.SubscriptionItem.objects.filter(subscription_id="sub_2")
    live = set(items.filter(deleted=False).values_list("id", flat=True))
    assert live == {item["id"] for item in swapped["items"]["data"]}
    assert items.filter(pk__in=old_items - live, deleted=True).count() == len(old_items - live)


def test_items_stripe_did_not_embed_are_listed_from_stripe(stripe_fake):
    subscription = subscribed_to_three_prices(stripe_fake)
    models.SubscriptionItem.objects.create(id="si_removed_meanwhile", subscription_id=subscription["id"], synced_at=T)

    write_page(models.Subscription, [with_items_cut(subscription)], T + timedelta(seconds=1))

    live = set(models.SubscriptionItem.objects.filter(deleted=False).values_list("id", flat=True))
    assert live == {item["id"] for item in subscription["items"]["data"]}  # the two Stripe left out included
    assert models.SubscriptionItem.objects.get(pk="si_removed_meanwhile").deleted  # the list was complete


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lone_new_row_that_a_webhook_inserts_first_is_judged_against_the_webhooks_row():
    """The page's plan finds no row, then its INSERT ... ON CONFLICT DO NOTHING RETURNING waits for a webhook
    worker's uncommitted insert of that id and returns no row: the page must judge the id against it."""
    listed = customer("cus_race", "listed@example.com")
    newer = {**listed, "email": "webhook@example.com"}
    page_pid = backend_pid()
    webhook_inserted = threading.Event()
    errors: list[BaseException] = []

    def webhook_worker() -> None:
        try:
            with transaction.atomic():
                upsert(models.Customer, newer, T + timedelta(seconds=5))
                webhook_inserted.set()
                wait_until(lambda: backend_pid() in blocking_pids(page_pid), "the page's INSERT waits for this one")
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
            webhook_inserted.set()
        finally:
            connection.close()

    worker = threading.Thread(target=webhook_worker)
    worker.start()
    assert webhook_inserted.wait(10)

    counts = write_page(models.Customer, [listed], T)

    worker.join(10)
    assert errors == []
    assert (counts.created, counts.stale) == (0, 1)
    row = models.Customer.objects.get(pk="cus_race")
    assert (row.email, row.synced_at) == ("webhook@example.com", T + timedelta(seconds=5))


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def blocking_pids(pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_blocking_pids(%s)", [pid])
        return cursor.fetchone()[0]


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        time.sleep(0.02)
