"""Shared test setup: which database the suite runs on, and skipping what needs a missing service."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db import connection

from tests.billables import create_user, team_mode
from tests.isolation import isolate_redis

pytest_plugins = ["django_stripe.testing.pytest_plugin"]


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_configure(config):
    # The live server listens with Django's backlog of 10 connections: fifty deliveries sent at once (the
    # concurrency tests) overflow it on a busy machine, and the kernel resets the connections it has no room
    # for. Stripe's deliveries reach servers that listen with thousands (gunicorn: 2048).
    WSGIServer.request_queue_size = 2048
    # A password hash costs half a second by design (PBKDF2's iterations), and the suite makes and checks
    # hundreds of them (every user created, every login): the tests' own hasher is a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    isolate_redis(settings)


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    name = settings.DATABASES["default"]["NAME"]
    broker = os.environ.get("REDIS_URL") or "none (eager Celery)"
    return [f"django-stripe test database: {engine} ({name}); broker: {broker}"]


def pytest_collection_modifyitems(config, items):
    no_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... to run it")
    no_broker = pytest.mark.skip(reason="needs a Redis broker: set REDIS_URL=redis://... to run it")
    for item in items:
        if "broker" in item.keywords:
            # Real workers, killed and restarted against timers: one such test at a time (`--dist loadgroup`),
            # so that two of them never share the machine's cores.
            item.add_marker(pytest.mark.xdist_group("real-workers"))
        if "postgres" in item.keywords and not uses_postgres():
            item.add_marker(no_postgres)
        if "broker" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(no_broker)
        only_users = item.get_closest_marker("user_model_only")
        if only_users and team_mode():
            reason = only_users.kwargs.get("reason") or (only_users.args[0] if only_users.args else "")
            item.add_marker(pytest.mark.skip(reason=f"user model only: {reason}"))


@pytest.fixture(autouse=True)
def _empty_caches():
    """Tests share one process: no cached answer may leak from one test into the next."""
    from django.core.cache import caches

    yield
    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture(autouse=True)
def _quiet_refusal_log():
    """The endpoint logs a refusal reason once a minute per process: each test starts as if none was logged."""
    from django_stripe.webhooks.refusals import refusal_log

    refusal_log.reset()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in the test's process, even when REDIS_URL makes the example project's Celery use a broker;
    only tests marked `broker` talk to a real worker."""
    from celery import current_app

    if "broker" in request.keywords:
        yield
        return
    previous = current_app.conf.task_always_eager
    set_always_eager(current_app, True)
    yield
    set_always_eager(current_app, previous)


def set_always_eager(app, eager: bool) -> None:
    # An app configured from Django settings (namespace CELERY) reads the option under its namespaced name
    # in some Celery releases and under its own in others: set both.
    app.conf.update(task_always_eager=eager, CELERY_TASK_ALWAYS_EAGER=eager)


@pytest.fixture
def make_user(db):
    """A saved user (password "pw"); on the team model also the team they own, their current team, which gets
    the billable's fields given (`stripe_customer_id`): tests/billables.py."""

    def make(username="alice", **fields):
        return create_user(username, password="pw", **fields)

    return make


WEBHOOK_SECRET = "whsec_synced_fake"


@pytest.fixture
def synced_fake(stripe_fake, settings, client, django_capture_on_commit_callbacks):
    """The fake Stripe delivering its events, signed, to our webhook endpoint, so the mirror follows it."""
    from django.urls import reverse

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def receive(body: bytes, headers: dict[str, str]) -> int:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature")
        # The test's transaction never commits: run the endpoint's on-commit enqueue (eager Celery) now.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
        return response.status_code

    stripe_fake.add_webhook_endpoint(receive, WEBHOOK_SECRET)
    return stripe_fake


@pytest.fixture
def catalogue(synced_fake):
    """A product with a monthly and a yearly price at the fake, mirrored through webhooks."""
    from django_stripe.client import get_client

    client = get_client()
    product = client.v1.products.create(params={"name": "Gold"})
    monthly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}}
    )
    yearly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 10000, "recurring": {"interval": "year"}}
    )
    return {"product": product.id, "monthly": monthly.id, "yearly": yearly.id}


@pytest.fixture
def queue():
    """A Celery queue of this test's own on the shared Redis: published to by this process, consumed by the
    workers the test starts, so that another run on the same Redis cannot take its tasks."""
    import uuid

    import redis
    from celery import current_app

    name = f"django-stripe-test-{uuid.uuid4().hex[:10]}"
    previous = current_app.conf.task_default_queue
    current_app.conf.task_default_queue = name
    yield name
    current_app.conf.task_default_queue = previous
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(name)


@pytest.fixture(scope="session")
def asgi_live_server():
    """uvicorn serving the test process's Django (tests/asgi_server.py), for the session."""
    from tests.asgi_server import AsgiLiveServer

    server = AsgiLiveServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["wsgi", "asgi"])
def web_server(request, settings):
    """The project served over real HTTP by a WSGI server (pytest-django's `live_server`, the sync webhook view)
    and by an ASGI one (uvicorn, the async webhook view at the same URL): a test taking it runs on both."""
    if request.param == "wsgi":
        return request.getfixturevalue("live_server")
    from tests.asgi_server import ASGI_URLCONF

    request.getfixturevalue("transactional_db")  # the server's threads read what the test wrote
    settings.ROOT_URLCONF = ASGI_URLCONF
    return request.getfixturevalue("asgi_live_server")
