"""Loaded into the reliability tests' workers only (`celery worker -I tests.reliability.applications`), never
into the test process: a handler for every event type that records each application of an event in a table
the test created. It runs inside the event's transaction, so a row exists exactly when an application
committed: a second row for one event means the event was applied twice.

(Matching every type, it also makes otherwise-ignored types `processed`.)
"""

from __future__ import annotations

import os

from django.db import connection

from django_stripe.webhooks import webhook_handler

TABLE = "reliability_application"  # created and dropped by the `applications` fixture (conftest.py)


@webhook_handler("*")
def record_application(event) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (event_id, pid) VALUES (%s, %s)", [event.id, os.getpid()])
