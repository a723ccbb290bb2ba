"""The page write on PostgreSQL: one set-based statement that keeps the guarded upsert's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_stripe import models
from django_stripe.sync import set_upsert
from django_stripe.sync.backfill import commit_page, open_cursor
from django_stripe.sync.bulk import page_rows, write_page
from django_stripe.sync.upsert import MIRRORS, upsert
from django_stripe.testing.factories import CustomerPayloadFactory, SubscriptionPayloadFactory

pytestmark = pytest.mark.django_db

T = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def customer(object_id: str, email: str) -> dict:
    return CustomerPayloadFactory(id=object_id, email=email)


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements run, without the savepoints that stand in for BEGIN and COMMIT inside a test."""
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]


@pytest.mark.parametrize("model", [*MIRRORS])
def test_a_row_names_every_column_so_the_set_based_statement_leaves_none_to_a_default(model):
    payload = {"id": "obj_1", "object": MIRRORS[model].object_name}

    (row,) = page_rows(model, [payload], T)

    assert set(row) == {field.attname for field in model._meta.concrete_fields}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_page_is_one_statement_and_its_transaction_three():
    cursor = open_cursor("customers", restart=True)
    page = [customer(f"cus_{n:03}", f"c{n}@example.com") for n in range(100)]

    with CaptureQueriesContext(connection) as captured:
        counts = commit_page(cursor, page[-1]["id"], len(page), T, lambda: write_page(models.Customer, page, T))

    begin, no_disk_wait, update_cursor, insert, commit = statements(captured)
    assert (begin, commit) == ("BEGIN", "COMMIT")
    assert no_disk_wait == "SET LOCAL synchronous_commit TO OFF"
    assert update_cursor.startswith('UPDATE "django_stripe_sync_cursor"')
    assert insert.startswith('INSERT INTO "django_stripe_customer"') and "jsonb_to_recordset" in insert
    assert (counts.created, counts.updated) == (100, 0)
    row = models.Customer.objects.get(pk="cus_042")
    assert (row.email, row.synced_at, row.stripe_data) == ("c42@example.com", T, page[42])
    assert row.metadata == page[42]["metadata"] and row.created is not None


@pytest.mark.postgres
def test_the_statement_writes_new_and_older_rows_and_never_a_newer_row_or_a_tombstone():
    upsert(models.Customer, customer("cus_old", "old@example.com"), T - timedelta(seconds=10))
    upsert(models.Customer, customer("cus_new", "newer@example.com"), T + timedelta(seconds=10))
    upsert(models.Customer, customer("cus_gone", "gone@example.com"), T - timedelta(seconds=10), deleted=True)
    upsert(models.Customer, customer("cus_tie", "tie@example.com"), T)
    page = [customer(i, f"page-{i}@example.com") for i in ("cus_fresh", "cus_old", "cus_new", "cus_gone", "cus_tie")]

    written = set_upsert.upsert_rows(models.Customer, page_rows(models.Customer, page, T))

    assert written == {"cus_fresh": True, "cus_old": False}  # inserted, overwritten; the rest left alone
    rows = models.Customer.objects.in_bulk()
    assert (rows["cus_old"].email, rows["cus_old"].synced_at) == ("page-cus_old@example.com", T)
    assert (rows["cus_new"].email, rows["cus_new"].synced_at) == ("newer@example.com", T + timedelta(seconds=10))
    assert rows["cus_gone"].deleted and rows["cus_gone"].email == "gone@example.com"
    assert rows["cus_tie"].email == "tie@example.com"  # a same-second state is not guessed between


@pytest.mark.postgres
def test_the_rows_it_left_alone_are_judged_as_the_guarded_upsert_judges_them(stripe_fake):
    from .seeding import call

    upsert(models.Customer, customer("cus_new", "newer@example.com"), T + timedelta(seconds=10))
    upsert(models.Customer, customer("cus_gone", "gone@example.com"), T - timedelta(seconds=10), deleted=True)
    same = customer("cus_same", "same@example.com")
    upsert(models.Customer, same, T)
    live = call(stripe_fake, "POST", "/v1/customers", email="at-stripe@example.com")
    upsert(models.Customer, {**live, "email": "from-an-event@example.com"}, T)
    page = [
        customer("cus_new", "older@example.com"),
        customer("cus_gone", "back@example.com"),
        same,
        {**live, "email": "listed@example.com"},
    ]

    with CaptureQueriesContext(connection) as captured:
        counts = write_page(models.Customer, page, T)

    insert, judge, *one_by_one = statements(captured)
    assert "jsonb_to_recordset" in insert and judge.startswith("SELECT") and "FOR UPDATE" in judge
    assert (counts.created, counts.updated, counts.unchanged, counts.stale) == (0, 1, 1, 2)
    rows = models.Customer.objects.in_bulk()
    assert rows["cus_new"].email == "newer@example.com"
    assert rows["cus_gone"].deleted and rows["cus_gone"].email == "gone@example.com"
    assert rows[live["id"]].email == "at-stripe@example.com"  # the tie, settled by Stripe
    assert one_by_one  # the two ties went through the row-at-a-time upsert


@pytest.mark.postgres
def test_a_cancelled_subscription_listed_after_a_newer_state_tombstones_it_and_its_items():
    active = SubscriptionPayloadFactory(id="sub_1", customer="cus_1", status="active")
    upsert(models.Subscription, active, T + timedelta(seconds=5))

    counts = write_page(models.Subscription, [{**active, "status": "canceled"}], T)

    assert counts.updated == 1
    row = models.Subscription.objects.get(pk="sub_1")
    assert row.deleted and row.status == "active"
    assert not models.SubscriptionItem.objects.filter(subscription_id="sub_1", deleted=False).exists()


@pytest.mark.postgres
def test_a_page_of_subscriptions_writes_all_their_items_in_one_statement():
    page = [SubscriptionPayloadFactory(id=f"sub_{n}", customer=f"cus_{n}") for n in range(20)]
    models.SubscriptionItem.objects.create(id="si_removed", subscription_id="sub_3", synced_at=T)

    with CaptureQueriesContext(connection) as captured:
        write_page(models.Subscription, page, T + timedelta(seconds=1))

    subscriptions, items, removed = statements(captured)
    assert 'INSERT INTO "django_stripe_subscription"' in subscriptions
    assert 'INSERT INTO "django_stripe_subscription_item"' in items and "jsonb_to_recordset" in items
    assert removed.startswith('UPDATE "django_stripe_subscription_item"')
    listed = {item["id"]: item for sub in page for item in sub["items"]["data"]}
    live = models.SubscriptionItem.objects.filter(deleted=False)
    assert {item.id: item.subscription_id for item in live} == {i: item["subscription"] for i, item in listed.items()}
    assert models.SubscriptionItem.objects.get(pk="si_removed").deleted


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_fails_as_an_insert_would():
    from django.db import DataError, transaction

    page = [{**customer("cus_long", "x@example.com"), "email": "x" * 600 + "@example.com"}]

    with pytest.raises(DataError), transaction.atomic():
        set_upsert.upsert_rows(models.Customer, page_rows(models.Customer, page, T))
