"""The async endpoint under uvicorn: mounted by the ASGI URLs, and never blocking the event loop (the rest of
the webhook suite runs on it through the `web_server` fixture: the same answers, rows and refusals)."""

import threading
from inspect import iscoroutinefunction

import pytest
from django.db import connection, transaction
from django.urls import resolve

from django_stripe.models import WebhookEvent
from django_stripe.testing.factories import CustomerPayloadFactory
from django_stripe.views import async_webhook
from django_stripe.webhooks.ledger import store_event
from tests.asgi_server import ASGI_URLCONF

from .conftest import Deliverer, event
from .workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_asgi_urls_mount_the_async_view_where_the_sync_one_is():
    match = resolve("/api/webhook/", urlconf=ASGI_URLCONF)
    assert match.func is async_webhook and match.url_name == "stripe-webhook"
    assert iscoroutinefunction(async_webhook)
    assert resolve("/api/webhook/").func is not async_webhook  # the WSGI URLs keep the sync view


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f'INSERT INTO "{WebhookEvent._meta.db_table}"%'],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
def test_an_insert_waiting_on_a_lock_leaves_the_loop_answering(asgi_live_server, settings, webhook_secret):
    """Another transaction holds the id the first delivery inserts: its INSERT waits. Meanwhile a second delivery
    is answered, which it could not be if the first had blocked the loop."""
    settings.ROOT_URLCONF = ASGI_URLCONF
    deliver = Deliverer(asgi_live_server.url)
    held, second = (
        event("customer.created", CustomerPayloadFactory()),
        event("customer.created", CustomerPayloadFactory()),
    )
    release, answers = threading.Event(), {}

    def hold_the_id():
        with transaction.atomic():
            store_event(held)
            release.wait(60)
            transaction.set_rollback(True)  # the delivery's insert then goes through
        connection.close()

    holder = threading.Thread(target=hold_the_id)
    holder.start()
    try:
        wait_for(lambda: WebhookEvent.objects.filter(pk=held["id"]).count() == 0, 5, "the held row unseen")
        first = threading.Thread(target=lambda: answers.update(first=deliver.send(held)))
        first.start()
        wait_for(waiting_on_a_lock, 30, "the first delivery's insert waiting on the held row")
        assert deliver.send(second).status == 200
        assert first.is_alive() and "first" not in answers  # still waiting, and the loop answered meanwhile
    finally:
        release.set()
        holder.join(30)
    first.join(30)
    assert answers["first"].status == 200
    assert set(WebhookEvent.objects.values_list("id", "status")) == {
        (held["id"], "processed"),
        (second["id"], "processed"),
    }
