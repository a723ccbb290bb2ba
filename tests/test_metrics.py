"""The Prometheus metrics view, mounted as a project mounts it, scraped over the test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import path
from django.utils import timezone

pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from django_stripe.metrics import metrics_view  # noqa: E402
from django_stripe.models import SyncCursor, WebhookEvent  # noqa: E402

urlpatterns = [path("internal/stripe-metrics", metrics_view)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/internal/stripe-metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def event(event_id: str, status: str, seconds_ago: float, **fields) -> None:
    now = timezone.now()
    WebhookEvent.objects.create(id=event_id, type="customer.created", created=now, payload={}, status=status, **fields)
    WebhookEvent.objects.filter(pk=event_id).update(received_at=now - timedelta(seconds=seconds_ago))


def test_the_metrics_are_the_figures_of_stripe_status(client):
    event("evt_pending", "pending", 400)
    event("evt_failed", "failed", 10, attempts=9)
    event("evt_done", "processed", 20, processed_at=timezone.now())
    SyncCursor.objects.create(object_type="products", synced_count=12, completed_at=timezone.now())
    SyncCursor.objects.create(object_type="customers", synced_count=300, starting_after="cus_half_way")

    metrics = scrape(client)

    assert metrics[("django_stripe_healthy", ())] == 0
    assert metrics[("django_stripe_events_pending", ())] == 1
    assert metrics[("django_stripe_events_pending_oldest_age_seconds", ())] >= 400
    assert metrics[("django_stripe_events_lag_seconds", ())] >= 400
    assert metrics[("django_stripe_events_failed", ())] == 1
    assert metrics[("django_stripe_events_failed_given_up", ())] == 1
    assert metrics[("django_stripe_events_last_processed_timestamp_seconds", ())] == pytest.approx(
        timezone.now().timestamp(), abs=60
    )
    assert metrics[("django_stripe_catch_up_last_completed_timestamp_seconds", ())] == 0
    assert metrics[("django_stripe_backfill_objects", (("type", "customers"),))] == 300
    assert metrics[("django_stripe_backfill_in_progress", (("type", "customers"),))] == 1
    assert metrics[("django_stripe_backfill_in_progress", (("type", "products"),))] == 0


def test_an_empty_mirror_is_healthy(client):
    metrics = scrape(client)
    assert metrics[("django_stripe_healthy", ())] == 1
    assert metrics[("django_stripe_events_pending", ())] == 0


def test_the_metrics_cost_the_health_queries_only(client, django_assert_num_queries):
    with django_assert_num_queries(4):
        client.get("/internal/stripe-metrics")
