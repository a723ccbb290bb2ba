"""The backfill against the fake Stripe with thousands of objects: exact counts and columns, resume after an
interruption without fetching earlier pages again, rate limits and server errors, tombstones of a pass."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from django_stripe import models
from django_stripe.sync import backfill as backfill_module
from django_stripe.sync.backfill import OBJECT_TYPES, BackfillConflict, backfill, backfill_type
from django_stripe.sync.bulk import write_page
from django_stripe.sync.paging import PAGE_SIZE
from django_stripe.sync.upsert import upsert
from django_stripe.testing.factories import CustomerPayloadFactory, SubscriptionPayloadFactory

from .seeding import assert_mirrors, call, fake_objects, seed

pytestmark = pytest.mark.django_db(transaction=False)

MIRRORED = [
    models.Product,
    models.Price,
    models.Customer,
    models.PaymentMethod,
    models.Subscription,
    models.Invoice,
]


class Interrupted(Exception):
    pass


def stop_after(pages: int):
    def progress(result):
        if result.pages >= pages:
            raise Interrupted

    return progress


def list_requests(fake, path):
    """The `starting_after` of every list request of `path` the fake answered so far (None: first page)."""
    return [query.get("starting_after") for method, p, query in fake_requests(fake) if method == "GET" and p == path]


@pytest.fixture
def counted(stripe_fake, monkeypatch):
    """The fake, with a log of the requests it answers (method, path, query) in `stripe_fake.log`."""
    from urllib.parse import parse_qs, urlsplit

    log = []
    handle = stripe_fake.handle

    def logged(method, path, headers=None, body=None):
        url = urlsplit(path)
        log.append((method.upper(), url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))
        return handle(method, path, headers, body)

    monkeypatch.setattr(stripe_fake, "handle", logged)
    stripe_fake.log = log
    return stripe_fake


def fetch_ahead_done() -> None:
    """Wait for a page fetched ahead by a run that stopped (dropped, not waited for, by the run itself)."""
    for thread in threading.enumerate():
        if thread.name.startswith("stripe-page"):
            thread.join(10)


def fake_requests(fake):
    return fake.log


def test_a_full_backfill_mirrors_thousands_of_objects_exactly(stripe_fake):
    seed(stripe_fake, products=150, customers=1500, subscribers=400)

    results = {result.name: result for result in backfill()}

    assert list(results) == list(OBJECT_TYPES)
    assert all(result.completed for result in results.values())
    counts = {model.__name__: assert_mirrors(stripe_fake, model) for model in MIRRORED}
    assert counts == {
        "Product": 150,
        "Price": 300,
        "Customer": 1500,
        "PaymentMethod": 400,
        "Subscription": 400,
        "Invoice": 400,
    }
    assert results["customers"].counts.created == 1500
    assert results["customers"].pages == 15
    items = {item["id"]: item for sub in fake_objects(stripe_fake, "subscription") for item in sub["items"]["data"]}
    assert set(models.SubscriptionItem.objects.values_list("id", flat=True)) == set(items)
    assert models.SubscriptionItem.objects.filter(deleted=False).count() == 400
    # Subscribers of the first product (its two prices are the first two of the cycle) get its feature.
    entitled = {c: ids for c, ids in stripe_fake.entitlement_summaries.items() if ids}
    assert entitled
    mirrored = models.ActiveEntitlement.objects.filter(deleted=False)
    assert {(e.customer_id, e.lookup_key) for e in mirrored} == {(c, "exports") for c in entitled}


def test_a_second_pass_writes_what_changed_and_tombstones_what_stripe_no_longer_lists(stripe_fake):
    ids = seed(stripe_fake, products=120, customers=250, subscribers=30)
    backfill()
    gone_customer, changed_customer = ids["customers"][100], ids["customers"][200]
    call(stripe_fake, "DELETE", f"/v1/customers/{gone_customer}")
    call(stripe_fake, "POST", f"/v1/customers/{changed_customer}", email="new@example.com")
    gone_product = call(stripe_fake, "POST", "/v1/products", name="Short-lived")["id"]
    backfill(["products"])
    call(stripe_fake, "DELETE", f"/v1/products/{gone_product}")
    stripe_fake.advance_clock(1)  # a pass tells "not seen" from rows stamped before the second it started in

    results = {result.name: result for result in backfill(["products", "customers", "subscriptions"])}

    assert results["customers"].tombstoned == 1
    assert results["products"].tombstoned == 1
    assert models.Customer.objects.get(pk=gone_customer).deleted
    assert models.Customer.objects.get(pk=changed_customer).email == "new@example.com"
    assert models.Product.objects.get(pk=gone_product).deleted
    for model in (models.Product, models.Customer, models.Subscription):
        assert_mirrors(stripe_fake, model)


def test_an_interrupted_pass_resumes_after_its_last_page_without_fetching_earlier_ones(counted):
    seed(counted, products=1, customers=1050, subscribers=0)

    with pytest.raises(Interrupted):
        backfill_type("customers", progress=stop_after(4))

    cursor = models.SyncCursor.objects.get(pk="customers")
    assert cursor.synced_count == 4 * PAGE_SIZE
    assert models.Customer.objects.count() == 4 * PAGE_SIZE
    assert cursor.starting_after == fake_objects(counted, "customer")[4 * PAGE_SIZE - 1]["id"]
    counted.log.clear()

    result = backfill_type("customers")

    assert result.resumed_after == cursor.starting_after
    assert result.pages == 7 and result.fetched == 650
    requested = list_requests(counted, "/v1/customers")
    assert requested[0] == cursor.starting_after
    assert None not in requested  # the first pages were not asked for again
    assert models.Customer.objects.count() == 1050
    assert_mirrors(counted, models.Customer)
    assert models.SyncCursor.objects.get(pk="customers").completed_at is not None


def test_rate_limits_and_server_errors_during_the_run_are_retried(stripe_fake, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    seed(stripe_fake, products=1, customers=600, subscribers=0)
    injected = []

    def inject(result):
        if result.pages == 2 and not injected:
            stripe_fake.fail_next(2, status=429)
            injected.append(429)
        elif result.pages == 4 and len(injected) == 1:
            stripe_fake.fail_next(3, status=500)  # more than the SDK retries: the backfill backs off too
            injected.append(500)

    result = backfill_type("customers", progress=inject)

    assert injected == [429, 500]
    assert result.completed and result.fetched == 600 and result.counts.created == 600
    assert_mirrors(stripe_fake, models.Customer)


def test_restart_starts_a_new_pass(stripe_fake):
    seed(stripe_fake, products=1, customers=250, subscribers=0)
    with pytest.raises(Interrupted):
        backfill_type("customers", progress=stop_after(1))

    result = backfill_type("customers", restart=True)

    assert result.resumed_after == "" and result.fetched == 250
    assert models.Customer.objects.count() == 250


def test_a_pass_leaves_objects_on_a_test_clock_alone(stripe_fake):
    seed(stripe_fake, products=1, customers=3, subscribers=1)
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    # Stripe lists these only when asked for their clock: the pass cannot see them.
    upsert(models.Customer, CustomerPayloadFactory(id="cus_clock", test_clock="clock_1"), long_ago)
    upsert(models.Subscription, SubscriptionPayloadFactory(id="sub_clock", test_clock="clock_1"), long_ago)
    # And one that Stripe really no longer has.
    upsert(models.Customer, CustomerPayloadFactory(id="cus_gone", test_clock=None), long_ago)

    results = {result.name: result for result in backfill(["customers", "subscriptions"])}

    assert (results["customers"].tombstoned, results["subscriptions"].tombstoned) == (1, 0)
    assert models.Customer.objects.get(pk="cus_gone").deleted
    assert not models.Customer.objects.get(pk="cus_clock").deleted
    assert not models.Subscription.objects.get(pk="sub_clock").deleted


def test_a_write_that_fails_mid_pass_resumes_at_the_last_committed_page_and_fetches_the_page_ahead_again(
    counted, monkeypatch
):
    seed(counted, products=1, customers=650, subscribers=0)
    written = []

    def failing_third_page(model, payloads, synced_at):
        if len(written) == 2:
            raise Interrupted  # the process dies while page 3 is written and page 4 is fetched ahead
        written.append(payloads[-1]["id"])
        return write_page(model, payloads, synced_at)

    monkeypatch.setattr(backfill_module, "write_page", failing_third_page)
    with pytest.raises(Interrupted):
        backfill_type("customers")
    monkeypatch.setattr(backfill_module, "write_page", write_page)
    fetch_ahead_done()

    cursor = models.SyncCursor.objects.get(pk="customers")
    assert (cursor.starting_after, cursor.synced_count) == (written[-1], 2 * PAGE_SIZE)
    assert models.Customer.objects.count() == 2 * PAGE_SIZE  # page 3 rolled back with its cursor move
    before = list_requests(counted, "/v1/customers")
    assert before[:3] == [None, *written]  # pages 1 to 3 ...
    assert len(before) <= 4  # ... and at most the one page ahead
    counted.log.clear()

    result = backfill_type("customers")

    requested = list_requests(counted, "/v1/customers")
    assert requested[0] == written[-1]  # page 3 is asked for again, after the last committed page
    assert len(requested) == len(set(requested)) == 5
    assert result.fetched == 450 and result.counts.created == 450
    assert_mirrors(counted, models.Customer)


def test_a_run_that_finds_its_cursor_moved_by_another_run_stops_without_writing_its_page(stripe_fake):
    seed(stripe_fake, products=1, customers=300, subscribers=0)

    def other_run_moves_the_cursor(result):
        if result.pages == 1:
            models.SyncCursor.objects.filter(pk="customers").update(starting_after="cus_elsewhere")

    with pytest.raises(BackfillConflict):
        backfill_type("customers", progress=other_run_moves_the_cursor)

    assert models.Customer.objects.count() == PAGE_SIZE
    assert models.SyncCursor.objects.get(pk="customers").starting_after == "cus_elsewhere"
