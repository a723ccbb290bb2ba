"""Prometheus metrics of the mirror's health (`pip install django-stripe[prometheus]`): the figures of
`manage.py stripe_status`, computed at each scrape with its few indexed queries (webhooks/health.py).

Mount the view where your monitoring scrapes, behind what protects your other internal URLs:

    from django_stripe.metrics import metrics_view

    urlpatterns += [path("internal/stripe-metrics", metrics_view)]

The figures come from the database, not from the process answering, so every web process serves the same
ones and any of them may be scraped. Each scrape builds its own registry: nothing is kept between scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .webhooks.health import Health, mirror_health

PREFIX = "django_stripe_"


def timestamp(moment: datetime | None) -> float:
    """Seconds since the epoch, or 0 for "never" (Prometheus has no null; an alert on age sees it as ancient)."""
    return moment.timestamp() if moment else 0.0


def gauge(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    # NaN for a figure that has no value yet (no lag before anything is applied): absent, not zero.
    return GaugeMetricFamily(PREFIX + name, documentation, value=float("nan") if value is None else value)


def health_metrics(health: Health) -> Iterator[Metric]:
    yield gauge("healthy", "1 when stripe_status would exit 0, else 0.", 1.0 if health.healthy else 0.0)
    yield gauge("events_pending", "Stored events not applied yet.", health.pending)
    yield gauge(
        "events_pending_oldest_age_seconds",
        "Age of the oldest pending event (0 when none).",
        health.oldest_pending_age or 0.0,
    )
    yield gauge("events_failed", "Events whose last try failed.", health.failed)
    yield gauge("events_failed_given_up", "Failed events with no attempt left.", health.failed_given_up)
    yield gauge(
        "events_last_processed_timestamp_seconds",
        "When the newest received processed event was applied (0: never).",
        timestamp(health.last_processed_at),
    )
    yield gauge(
        "events_lag_seconds",
        "The oldest pending event's age, or else the last processed event's time from Stripe to applied.",
        health.lag,
    )
    catch_up = health.catch_up
    yield gauge(
        "catch_up_last_completed_timestamp_seconds",
        "When the Events-API catch-up last completed (0: never).",
        timestamp(catch_up.completed_at if catch_up else None),
    )
    yield from cursor_metrics(health)


def cursor_metrics(health: Health) -> Iterator[Metric]:
    position = GaugeMetricFamily(
        PREFIX + "backfill_objects", "Objects written by the type's current or last pass.", labels=["type"]
    )
    in_progress = GaugeMetricFamily(PREFIX + "backfill_in_progress", "1 while a pass is in progress.", labels=["type"])
    completed = GaugeMetricFamily(
        PREFIX + "backfill_last_completed_timestamp_seconds",
        "When the type's last pass completed (0: never).",
        labels=["type"],
    )
    for cursor in health.backfill:
        position.add_metric([cursor.name], cursor.position)
        in_progress.add_metric([cursor.name], 1.0 if cursor.in_progress else 0.0)
        completed.add_metric([cursor.name], timestamp(cursor.completed_at))
    yield from (position, in_progress, completed)


class HealthCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from health_metrics(mirror_health())


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET: the metrics in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
