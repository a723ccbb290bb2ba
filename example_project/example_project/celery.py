"""The example project's Celery app:

    celery -A example_project.celery:app worker --without-gossip --without-mingle --without-heartbeat

(with CELERY_CONTROL_QUEUE_DURABLE = True in the settings: see there why).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

app = Celery("example_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
