"""The example project plus the live-API baseline routes of `benchmarks/live_api.py`."""

import os

from example_project.settings import *  # noqa: F403

# The webhook benchmark serves the example project's ASGI URLs (the async webhook view) under uvicorn.
ROOT_URLCONF = os.environ.get("DJANGO_ROOT_URLCONF", "benchmarks.live_api")
DEBUG = False

# The webhook benchmark's endpoint publishes to a queue of its own, purged afterwards.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("DJANGO_STRIPE_BENCH_QUEUE", "celery")

# gunicorn's threads live as long as the server: keep their connections, as a production deployment does (a new
# PostgreSQL connection per request costs more than the webhook's insert).
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
