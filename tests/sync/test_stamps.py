"""A backfill page is stamped with the moment its request was sent (Stripe's clock), never later: a change
made while the answer was on its way is not hidden, and a page can never look unseen by its own pass."""

from __future__ import annotations

import time
from email.utils import formatdate
from urllib.parse import urlencode

import pytest

from django_stripe import models
from django_stripe.sync.backfill import backfill_type
from django_stripe.webhooks.processing import process_event
from django_stripe.webhooks.views import store_event

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
    store_event(update, enqueue=False)
    process_event(update["id"])  # the webhook of the change, delivered after the page was written

    assert slowed
    assert models.Customer.objects.get(pk=customer["id"]).email == "changed@example.com"


def test_a_later_page_stamped_before_the_pass_started_is_not_tombstoned(stripe_fake, monkeypatch):
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
    started = models.SyncCursor.objects.get(pk="customers").pass_started_at
    assert not models.Customer.objects.filter(synced_at__lt=started).exists()
