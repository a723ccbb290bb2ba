"""Settings of the example project.

By default it runs on SQLite with Celery tasks executed eagerly (in the request), so it needs nothing
installed. DATABASE_URL selects another database (PostgreSQL), REDIS_URL a Redis broker and cache.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-insecure-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and Redoc (api/schema/swagger/, api/schema/redoc/) from the project's static files: the demo is
    # offline (the sidecar extra).
    "drf_spectacular_sidecar",
    "django_stripe",
    # The testing tools' app: `manage.py stripe_fake_seed catalogue.json` puts a catalogue into the fake Stripe.
    "django_stripe.testing",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# asgi.py names asgi_urls.py: the same URLs, with the async webhook endpoint.
ROOT_URLCONF = os.environ.get("DJANGO_ROOT_URLCONF", "example_project.urls")
ASGI_APPLICATION = "example_project.asgi.application"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        # A new connection per request: the dev server starts a thread per request, and connections kept by
        # threads that are gone would pile up. Under gunicorn keep them (CONN_MAX_AGE, as benchmarks/ does).
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The dev server answers page requests and webhooks in parallel threads: take SQLite's write lock when a
    # transaction begins and wait for it, instead of failing with "database is locked" when two writes meet.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/api-auth/login/"
LOGIN_REDIRECT_URL = "/"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"

REDIS_URL = os.environ.get("REDIS_URL")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "0" if REDIS_URL else "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = False
# The queue the web processes publish to (the tests that start servers give each its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A durable remote-control queue (Celery 5.5+), and workers run `--without-gossip`: Celery 5.7.0 dies of a lost
# Redis ("Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'") when tearing down an
# auto-deleted queue's channel cuts its cleanup short. Remote control stays on: on a busy worker its channel is
# the one that notices the broker is gone. tests/reliability/test_broker_loss.py shows both.
CELERY_CONTROL_QUEUE_DURABLE = True
CELERY_CONTROL_QUEUE_EXCLUSIVE = False  # Celery refuses a durable exclusive queue (5.7 makes it exclusive by default)
# celery beat (`celery -A example_project.celery:app beat`): re-enqueue stored events left pending, catch
# up on events the webhooks missed, a nightly backfill pass that also tombstones what Stripe deleted, and a
# nightly prune of the events older than STRIPE_EVENT_RETENTION_DAYS (processed and ignored ones only).
CELERY_BEAT_SCHEDULE = {
    "stripe-webhook-sweeper": {
        "task": "django_stripe.sweep_webhook_events",
        "schedule": 60.0,
        "kwargs": {"older_than_seconds": 60},
    },
    "stripe-catch-up": {"task": "django_stripe.catch_up_events", "schedule": 5 * 60.0},
    "stripe-nightly-reconcile": {"task": "django_stripe.backfill", "schedule": crontab(hour=3, minute=30)},
    "stripe-prune-events": {"task": "django_stripe.prune_events", "schedule": crontab(hour=4, minute=15)},
    # The usage outbox's rows left pending (a send never published, a worker killed): sent again.
    "stripe-usage-sweep": {"task": "django_stripe.sweep_usage_reports", "schedule": 60.0},
}

REST_FRAMEWORK = {
    # Sessions only: REST framework checks CSRF for session-authenticated writes, but not for Basic auth, which a
    # browser replays on every cross-site request once the user has typed the password (and projects copy this).
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# django-stripe. The three keys can also come from the environment.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
STRIPE_CHECKOUT_TITLE = "Django Stripe Demo"

# DJANGO_STRIPE_BILLABLE=team: teams pay, not users (accounts/billing.py); the suite runs once on each model.
if os.environ.get("DJANGO_STRIPE_BILLABLE") == "team":
    STRIPE_BILLABLE_MODEL = "accounts.Team"
    STRIPE_BILLABLE_FOR_REQUEST = "accounts.billing.team_for_request"
    STRIPE_BILLING_ROLE = "accounts.billing.team_role"
    STRIPE_BILLABLE_MEMBERS = "members"
# Stripe's hosted pages send the user back to absolute URLs: this server's address, which `demo.py --port`
# sets through SITE_URL.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
STRIPE_CHECKOUT_SUCCESS_URL = f"{SITE_URL}/subscriptions/"
STRIPE_CHECKOUT_CANCEL_URL = f"{SITE_URL}/"
STRIPE_BILLING_PORTAL_RETURN_URL = f"{SITE_URL}/subscriptions/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_stripe": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")}},
}
