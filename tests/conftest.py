"""Shared test setup: which database the suite runs on, and skipping what needs a missing service."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

pytest_plugins = ["django_stripe.testing.pytest_plugin"]


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    name = settings.DATABASES["default"]["NAME"]
    broker = os.environ.get("REDIS_URL") or "none (eager Celery)"
    return [f"django-stripe test database: {engine} ({name}); broker: {broker}"]


def pytest_collection_modifyitems(config, items):
    no_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... to run it")
    no_broker = pytest.mark.skip(reason="needs a Redis broker: set REDIS_URL=redis://... to run it")
    for item in items:
        if "postgres" in item.keywords and not uses_postgres():
            item.add_marker(no_postgres)
        if "broker" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(no_broker)


@pytest.fixture(autouse=True)
def _empty_caches():
    """Tests share one process: no cached answer may leak from one test into the next."""
    from django.core.cache import caches

    yield
    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in the test's process, even when REDIS_URL makes the example project's Celery use a broker;
    only tests marked `broker` talk to a real worker."""
    from celery import current_app

    if "broker" in request.keywords:
        yield
        return
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = previous
