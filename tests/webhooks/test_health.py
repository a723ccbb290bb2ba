"""The mirror's health as `stripe_status`, the admin's status page and the deploy check show it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from django_stripe.models import SyncCursor, WebhookEvent
from django_stripe.sync.backfill import backfill_type
from django_stripe.testing.factories import CustomerPayloadFactory
from django_stripe.webhooks.catchup import catch_up
from django_stripe.webhooks.health import Problem, mirror_health
from django_stripe.webhooks.ledger import store_event
from django_stripe.webhooks.processing import process_event
from django_stripe.webhooks.retries import MAX_ATTEMPTS

from .conftest import event

pytestmark = pytest.mark.django_db


def received(seconds_ago: float, status: str = "pending", **fields) -> WebhookEvent:
    """An event stored by the ledger as the endpoint stores it, received `seconds_ago` (the row's clock moved)."""
    payload = event("customer.created", CustomerPayloadFactory(), created=int(timezone.now().timestamp() - seconds_ago))
    store_event(payload)
    WebhookEvent.objects.filter(pk=payload["id"]).update(
        received_at=timezone.now() - timedelta(seconds=seconds_ago), status=status, **fields
    )
    return WebhookEvent.objects.get(pk=payload["id"])


def status(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("stripe_status", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def test_an_empty_mirror_is_healthy():
    code, out, _ = status()
    assert code == 0
    assert "pending         0" in out and "last processed  never" in out and out.rstrip().endswith("Healthy.")


def test_processed_events_give_the_last_processed_time_and_the_lag(stripe_fake):
    payload = event("customer.created", CustomerPayloadFactory(), created=int(timezone.now().timestamp()) - 3)
    store_event(payload)
    process_event(payload["id"])

    health = mirror_health()
    applied = WebhookEvent.objects.get()
    assert applied.status == "processed" and health.last_processed_at == applied.processed_at
    assert health.lag == pytest.approx((applied.processed_at - applied.created).total_seconds())
    assert health.healthy


def test_an_event_pending_longer_than_the_threshold_exits_1():
    received(30)
    assert status()[0] == 0  # waiting, but not for long

    old = received(400)
    code, out, error = status()
    assert code == 1 and "unhealthy (pending_too_old)" in error
    assert "pending         2, the oldest received 7 min ago" in out
    assert "no worker is applying them" in out
    assert mirror_health().lag == pytest.approx((timezone.now() - old.received_at).total_seconds(), abs=5)
    assert status("--max-pending-age", "600")[0] == 0


def test_failed_events_exit_2_and_both_problems_exit_3():
    received(5, status="failed", attempts=MAX_ATTEMPTS, error="ValueError: broken handler")
    code, out, _ = status()
    assert code == Problem.FAILED_EVENTS == 2
    assert "failed          1 (1 with no attempt left)" in out and "stripe_process_events --failed" in out
    assert status("--max-failed", "1")[0] == 0

    received(900)
    assert status()[0] == 3


def test_json_holds_the_same_figures():
    received(400)
    code, out, _ = status("--json")
    figures = json.loads(out)
    assert code == 1 and figures["exit_status"] == 1 and figures["healthy"] is False
    assert figures["events"]["pending"] == 1 and figures["events"]["oldest_pending_age_seconds"] >= 400
    assert figures["thresholds"] == {"max_pending_age_seconds": 300, "max_failed": 0}
    assert figures["catch_up"] is None and figures["backfill"] == []


def test_the_catch_up_and_the_backfill_cursors_are_shown(stripe_fake):
    from django_stripe.client import get_client

    get_client().v1.products.create({"name": "Gold"})
    backfill_type("products")
    catch_up()
    SyncCursor.objects.create(object_type="customers", starting_after="cus_half_way", synced_count=200)

    code, out, _ = status()
    assert code == 0
    newest = stripe_fake.events[-1]["id"]
    assert "Catch-up (Events API)\n  last run        " in out and f"newest event    {newest}, created" in out
    assert re.search(r"\n  customers +200  in progress, after cus_half_way +\d{4}-\d\d-\d\d ", out)
    assert re.search(r"\n  products +1  complete +\d{4}-\d\d-\d\d ", out)
    figures = json.loads(status("--json")[1])
    assert [cursor["type"] for cursor in figures["backfill"]] == ["products", "customers"]  # the backfill's order
    assert figures["catch_up"]["starting_after"] == newest


def test_the_health_costs_four_queries_whatever_the_ledger(django_assert_num_queries):
    for seconds in (1, 2, 3):
        received(seconds)
        received(seconds, status="processed", processed_at=timezone.now())
    with django_assert_num_queries(4):
        mirror_health()


# The admin's page.


def staff(client, *codenames: str):
    user = get_user_model().objects.create_user("watcher", "watcher@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="django_stripe", codename__in=codenames)
    )
    client.force_login(user)
    return client


STATUS_URL = "/admin/django_stripe/webhookevent/status/"


def test_the_status_page_is_linked_from_the_app_index_and_shows_the_problems(client):
    received(400)
    staff(client, "view_webhookevent")
    index = client.get(reverse("admin:app_list", args=["django_stripe"])).content.decode()
    assert reverse("admin:django_stripe_mirror_status") == STATUS_URL
    assert f'<a href="{STATUS_URL}">Stripe mirror status</a>' in index

    page = client.get(STATUS_URL).content.decode()
    assert "no worker is applying them" in page and "?status__exact=pending" in page
    assert "No pass has run yet" in page


def test_the_status_page_needs_the_view_permission_on_the_events(client):
    staff(client, "view_customer")
    assert client.get(STATUS_URL).status_code == 403
    assert "Stripe mirror status" not in client.get(reverse("admin:app_list", args=["django_stripe"])).content.decode()
    client.logout()
    assert client.get(STATUS_URL).status_code == 302  # to the admin's login
