"""A backfill page, and an object fetched for a write, is stamped with the moment its request was sent
(Stripe's clock), never later: a change made while the answer was on its way is not hidden; and a page can
never look unseen by its own pass, whose start is its lowest page stamp."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from email.utils import formatdate
from urllib.parse import urlencode

import pytest

from django_stripe import models
from django_stripe.payments import find_owned_row
from django_stripe.sync.backfill import backfill_type
from django_stripe.webhooks.ledger import store_event
from django_stripe.webhooks.processing import process_event

from .seeding import AUTH, assert_mirrors, call, seed

pytestmark = pytest.mark.django_db


def is_customer_list(method: str, path: str) -> bool:
    return method.upper() == "GET" and path.startswith("/v1/customers?")


def test_a_change_made_while_the_page_was_on_its_way_is_not_hidden(stripe_fake, monkeypatch):
    customer = call(stripe_fake, "POST", "/v1/customers", email="read@example.com")
    answer = stripe_fake.handle
    slowed = []

    def read_then_changed(method, path, headers=None, body=None):
        status, response_headers, text = answer(method, path, headers, body)
        if is_customer_list(method, path) and not slowed:
            # Stripe has read the list; the customer changes, and the answer leaves in the next second.
            read_in = stripe_fake.now()
            answer("POST", f"/v1/customers/{customer['id']}", AUTH, urlencode({"email": "changed@example.com"}))
            while stripe_fake.now() == read_in:
                time.sleep(0.02)
            response_headers = {**response_headers, "Date": formatdate(stripe_fake.now(), usegmt=True)}
            slowed.append(path)
        return status, response_headers, text

    monkeypatch.setattr(stripe_fake, "handle", read_then_changed)

    backfill_type("customers")
    (update,) = [event for event in stripe_fake.events if event["type"] == "customer.updated"]
    store_event(update)
    process_event(update["id"])  # the webhook of the change, delivered after the page was written

    assert slowed
    assert models.Customer.objects.get(pk=customer["id"]).email == "changed@example.com"


def test_a_page_from_a_server_whose_clock_is_behind_keeps_its_stamp_and_is_not_tombstoned(stripe_fake, monkeypatch):
    seed(stripe_fake, products=1, customers=150, subscribers=0)
    answer = stripe_fake.handle
    pages = []

    def second_page_from_a_server_behind(method, path, headers=None, body=None):
        status, response_headers, text = answer(method, path, headers, body)
        if is_customer_list(method, path):
            pages.append(path)
            if len(pages) == 2:  # answered by a server whose clock is a minute behind the first one's
                response_headers = {**response_headers, "Date": formatdate(stripe_fake.now() - 60, usegmt=True)}
        return status, response_headers, text

    monkeypatch.setattr(stripe_fake, "handle", second_page_from_a_server_behind)

    result = backfill_type("customers")

    assert len(pages) == 2
    assert result.tombstoned == 0
    assert_mirrors(stripe_fake, models.Customer)
    # Each page's rows keep its own stamp (never later than what they hold); the pass starts at the lowest.
    stamps = Counter(models.Customer.objects.values_list("synced_at", flat=True))
    behind, first = sorted(stamps)
    assert (stamps[first], stamps[behind]) == (100, 50)
    assert timedelta(seconds=58) <= first - behind <= timedelta(seconds=61)
    assert models.SyncCursor.objects.get(pk="customers").pass_started_at == behind

    # A change dated inside that minute (by the server behind) is newer than the page's rows: applied.
    oldest = models.Customer.objects.filter(synced_at=behind).values_list("id", flat=True).first()
    call(stripe_fake, "POST", f"/v1/customers/{oldest}", email="moved@example.com")
    update = {**stripe_fake.events[-1], "created": int((behind + timedelta(seconds=30)).timestamp())}
    store_event(update)
    assert process_event(update["id"]) == "processed"
    assert models.Customer.objects.get(pk=oldest).email == "moved@example.com"


def test_an_object_a_write_fetches_is_stamped_when_its_request_was_sent(stripe_fake, monkeypatch, make_user):
    customer = call(stripe_fake, "POST", "/v1/customers", email="not-mirrored@example.com")  # no webhook yet
    user = make_user(stripe_customer_id=customer["id"])
    answer = stripe_fake.handle
    answered = []

    def answered_in_the_next_second(method, path, headers=None, body=None):
        status, response_headers, text = answer(method, path, headers, body)
        if method.upper() == "GET" and path == f"/v1/customers/{customer['id']}":
            read_in = stripe_fake.now()
            while stripe_fake.now() == read_in:
                time.sleep(0.02)
            response_headers = {**response_headers, "Date": formatdate(stripe_fake.now(), usegmt=True)}
            answered.append(stripe_fake.now())
        return status, response_headers, text

    monkeypatch.setattr(stripe_fake, "handle", answered_in_the_next_second)

    row = find_owned_row(user, models.Customer, customer["id"])

    assert row.email == "not-mirrored@example.com"
    assert row.synced_at.timestamp() < answered[0]  # the Date less the time the request took


def test_an_object_a_write_fetches_is_read_again_after_a_rate_limit(stripe_fake, make_user):
    customer = call(stripe_fake, "POST", "/v1/customers", email="not-mirrored@example.com")
    user = make_user(stripe_customer_id=customer["id"])
    stripe_fake.fail_next(1, status=429)

    assert find_owned_row(user, models.Customer, customer["id"]).email == "not-mirrored@example.com"
    assert stripe_fake.pending_faults() == 0
