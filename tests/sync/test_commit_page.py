"""A page's transaction: its rows and its cursor move together, and its COMMIT does not wait for the disk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from django_stripe import models
from django_stripe.sync.backfill import commit_page, open_cursor

T = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_page_commits_without_waiting_for_the_disk_and_nothing_after_it_does():
    cursor = open_cursor("customers", restart=True)

    during = commit_page(cursor, "cus_1", 1, T, synchronous_commit)

    assert during == "off"
    assert synchronous_commit() == "on"
    assert models.SyncCursor.objects.get(pk="customers").starting_after == "cus_1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_commit_is_left_as_it_is():
    cursor = open_cursor("customers", restart=True)

    with transaction.atomic():
        during = commit_page(cursor, "cus_1", 1, T, synchronous_commit)

    assert during == "on"
