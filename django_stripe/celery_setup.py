"""Whether this process can hand stored webhook events to Celery workers.

The endpoint stores an event and sends it to the workers through the project's Celery app. A project that never
made one (no `celery.py`, or one its `__init__.py` does not import) sends through Celery's default app instead:
it reads nothing from the Django settings, so CELERY_BROKER_URL and CELERY_TASK_ALWAYS_EAGER change nothing, and
its broker is AMQP on localhost. The endpoint still answers 200 and the events stay pending. The system check
`django_stripe.W003` says so, and so does the log, once per process, when the first event is sent.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, current_app
from django.conf import settings

logger = logging.getLogger(__name__)


def missing_celery_app() -> bool:
    """True when no worker can process what this process enqueues: Celery is not eager, and the current app
    is the fallback Celery makes when no app was created, with no broker configured (a `celeryconfig` module
    could give it one)."""
    app = current_app._get_current_object()
    if app.conf.task_always_eager:
        return False
    return is_celery_fallback(app) and not app.conf.broker_url


def is_celery_fallback(app: Celery) -> bool:
    """Whether `app` is the app Celery falls back to when none was made: named "default", without the fixups
    (Django's among them) that every `Celery(...)` gets. A project's app, once made, is the fallback's
    replacement in every thread: Celery's Django fixup makes it the default app."""
    return app.main == "default" and not app.fixups


def project_package() -> str:
    """The project's package, from DJANGO_SETTINGS_MODULE (`myshop.settings` -> `myshop`)."""
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE") or "myproject"
    return module.rpartition(".")[0] or module


def celery_app_hint() -> str:
    """The lines that give the project a Celery app reading the Django settings."""
    project = project_package()
    return (
        f"Create {project.replace('.', '/')}/celery.py:\n"
        "    import os\n"
        "    from celery import Celery\n"
        f'    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{project}.settings")\n'
        f'    app = Celery("{project}")\n'
        '    app.config_from_object("django.conf:settings", namespace="CELERY")\n'
        "    app.autodiscover_tasks()\n"
        f"and import it in {project.replace('.', '/')}/__init__.py:\n"
        "    from .celery import app as celery_app\n"
        '    __all__ = ("celery_app",)\n'
        f'then set CELERY_BROKER_URL and run "celery -A {project} worker" (or set CELERY_TASK_ALWAYS_EAGER = True '
        "to apply events in the request, without a worker)."
    )


MISSING_APP = (
    "No Celery app is configured for this project (Celery's default app is in use, which reads no Django "
    "setting): stored Stripe events are sent to a broker no worker of yours reads, and stay pending."
)

_warned_in: int | None = None


def warn_once_if_missing() -> None:
    """Log MISSING_APP with the hint, at most once per process (a forked web worker is a new process)."""
    global _warned_in
    if _warned_in == os.getpid():
        return
    _warned_in = os.getpid()
    if missing_celery_app():
        logger.warning("%s\n%s", MISSING_APP, celery_app_hint())
