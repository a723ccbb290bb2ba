"""The example project's celery beat schedule names tasks that exist, and the tasks run."""

from __future__ import annotations

import pytest
from celery import current_app
from django.conf import settings

from django_stripe import models
from django_stripe.tasks import backfill_stripe_objects

from .seeding import seed


@pytest.mark.django_db  # Celery's Django fixup runs the system checks, which may ask SQLite what it supports
def test_the_beat_schedule_names_registered_tasks():
    current_app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {
        "django_stripe.sweep_webhook_events",
        "django_stripe.catch_up_events",
        "django_stripe.backfill",
        "django_stripe.prune_events",
        "django_stripe.sweep_usage_reports",
    }
    assert tasks <= set(current_app.tasks)


@pytest.mark.django_db
def test_the_backfill_task_reports_per_type(stripe_fake):
    seed(stripe_fake, products=2, customers=3, subscribers=1)

    report = backfill_stripe_objects.delay(["products", "prices", "customers"]).get()

    assert list(report) == ["products", "prices", "customers"]
    assert report["customers"]["created"] == 3 and report["customers"]["completed"]
    assert models.Price.objects.count() == 4
