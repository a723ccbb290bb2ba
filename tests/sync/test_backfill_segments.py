"""The backfill in segments (`created` ranges walked by threads, or by a Celery task each) against the fake
Stripe over HTTP: exact counts, splits of a dense segment, resume of an interrupted pass, tombstones only
after every segment is complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from django_stripe import models
from django_stripe.sync.backfill import backfill_type
from django_stripe.sync.upsert import upsert
from django_stripe.tasks import backfill_in_segments
from django_stripe.testing.factories import CustomerPayloadFactory

from .seeding import assert_mirrors, call

# Threads have connections of their own: they see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = 4500  # 45 pages: more than two segments' worth (CHUNK_PAGES)


class Interrupted(Exception):
    pass


def spread_customers(fake, count: int = CUSTOMERS, per_second: int = 10) -> list[str]:
    """`count` customers created over time (`per_second` a second of the fake's clock), so that `created`
    ranges can split them."""
    ids = []
    for n in range(count):
        ids.append(call(fake, "POST", "/v1/customers", email=f"c{n}@example.com")["id"])
        if n % per_second == per_second - 1:
            fake.advance_clock(1)
    return ids


def segments_of(name: str):
    return models.BackfillSegment.objects.filter(object_type=name)


def test_segments_in_threads_mirror_every_object_once(stripe_fake):
    spread_customers(stripe_fake)

    result = backfill_type("customers", threads=4)

    assert result.completed
    assert result.fetched == CUSTOMERS  # no object fetched twice, none missed
    assert result.counts.created == CUSTOMERS
    assert assert_mirrors(stripe_fake, models.Customer) == CUSTOMERS
    # The pass split itself by density: several segments, all complete, their counts adding up exactly.
    assert segments_of("customers").count() > 1
    assert not segments_of("customers").filter(completed_at=None).exists()
    assert sum(segments_of("customers").values_list("synced_count", flat=True)) == CUSTOMERS
    assert models.SyncCursor.objects.get(object_type="customers").completed_at is not None


def test_an_interrupted_segmented_pass_resumes_with_no_object_missed_or_doubled(stripe_fake):
    spread_customers(stripe_fake)

    def stop_after_four_pages(result):
        if result.pages >= 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        backfill_type("customers", threads=4, progress=stop_after_four_pages)
    first = sum(segments_of("customers").values_list("synced_count", flat=True))
    assert 0 < first < CUSTOMERS
    assert models.Customer.objects.count() == first  # every committed page with its segment's cursor
    assert models.SyncCursor.objects.get(object_type="customers").completed_at is None

    second = backfill_type("customers", threads=4)

    assert second.completed
    assert first + second.fetched == CUSTOMERS
    assert second.counts.created == CUSTOMERS - first
    assert assert_mirrors(stripe_fake, models.Customer) == CUSTOMERS


def test_a_segmented_pass_resumes_in_one_thread_too(stripe_fake):
    spread_customers(stripe_fake, 2500)

    def stop_after_two_pages(result):
        if result.pages >= 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        backfill_type("customers", threads=4, progress=stop_after_two_pages)
    first = models.Customer.objects.count()

    second = backfill_type("customers", threads=1)

    assert first + second.fetched == 2500
    assert assert_mirrors(stripe_fake, models.Customer) == 2500


def test_tombstones_come_only_after_every_segment_is_complete(stripe_fake):
    spread_customers(stripe_fake, 500)
    gone = "cus_gone_at_stripe"
    upsert(models.Customer, CustomerPayloadFactory(id=gone, livemode=False), datetime.now(UTC) - timedelta(hours=1))
    stripe_fake.advance_clock(1)  # the pass starts in a later second than the row's stamp

    def stop_after_one_page(result):
        raise Interrupted

    with pytest.raises(Interrupted):
        backfill_type("customers", threads=4, progress=stop_after_one_page)
    assert not models.Customer.objects.get(pk=gone).deleted  # an incomplete pass tombstones nothing

    result = backfill_type("customers", threads=4)

    assert result.tombstoned == 1
    assert models.Customer.objects.get(pk=gone).deleted
    assert_mirrors(stripe_fake, models.Customer)


def test_a_task_per_segment_completes_the_pass_and_starts_the_next_type(stripe_fake):
    spread_customers(stripe_fake, 2500)
    product = call(stripe_fake, "POST", "/v1/products", name="Plan")["id"]

    # Eager Celery here: each split-off segment's task runs as it is sent, as another worker would take it.
    started = backfill_in_segments(["products", "customers"])

    assert started == {"started": "products", "segments": 1}
    assert assert_mirrors(stripe_fake, models.Customer) == 2500
    assert models.Product.objects.filter(pk=product).exists()
    assert segments_of("customers").count() > 1
    assert sum(segments_of("customers").values_list("synced_count", flat=True)) == 2500
    for name in ("products", "customers"):
        assert models.SyncCursor.objects.get(object_type=name).completed_at is not None


def test_a_segment_whose_cursor_object_is_deleted_at_stripe_meanwhile_completes_its_pass(stripe_fake):
    spread_customers(stripe_fake, 2500)

    def stop_after_one_page(result):
        raise Interrupted

    with pytest.raises(Interrupted):
        backfill_type("customers", threads=4, progress=stop_after_one_page)
    (segment,) = segments_of("customers").exclude(starting_after="").filter(completed_at=None)[:1]
    call(stripe_fake, "DELETE", f"/v1/customers/{segment.starting_after}")
    stripe_fake.advance_clock(1)

    result = backfill_type("customers", threads=4)

    assert result.completed
    # Each object fetched once over both runs: the deleted one too, fetched (and counted) before it was deleted.
    assert sum(segments_of("customers").values_list("synced_count", flat=True)) == 2500
    # Written by this very pass before it was deleted, the row is not "unseen": its webhook tombstones it, or
    # the next pass does.
    assert not models.Customer.objects.get(pk=segment.starting_after).deleted
    stripe_fake.advance_clock(1)
    assert backfill_type("customers", threads=4).tombstoned == 1
    assert assert_mirrors(stripe_fake, models.Customer) == 2499
