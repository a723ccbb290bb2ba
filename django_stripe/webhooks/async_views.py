"""The webhook endpoint for ASGI servers: `views.webhook` itself, run on a thread of a pool, never on the loop.

Under an ASGI server Django runs a sync view with `sync_to_async(thread_sensitive=True)`: on a thread made for
the request and dropped after it, so every delivery would open a database connection of its own (Django's
connections belong to a thread), which costs more than the insert. This view hands the whole request,
verification, insert and hand-off to the dispatcher, to the event loop's pool of threads instead
(`thread_sensitive=False`): a few threads that live as long as the server and keep their connections as
CONN_MAX_AGE says, as a WSGI server's threads do. The loop only awaits the answer.

Being the sync view, called, it gives the same answers, the same ledger rows and the same refusals: nothing
here verifies, parses or stores. Nothing in it needs the request's thread: it touches no session, no user
and no transaction of the request's (the insert commits on its own).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .views import webhook


@csrf_exempt
async def async_webhook(request: HttpRequest) -> HttpResponse:
    """POST <api>/webhook/ from Stripe, under an ASGI server: mount it in place of `webhook` (docs/webhooks.md)."""
    return await sync_to_async(_webhook_on_a_pool_thread, thread_sensitive=False)(request)


def _webhook_on_a_pool_thread(request: HttpRequest) -> HttpResponse:
    # Django closes a request's connections around it (request_started, request_finished) on the thread it
    # ran the request on, not on this one: so this thread does it for its own, and CONN_MAX_AGE and
    # CONN_HEALTH_CHECKS mean here what they mean under WSGI.
    close_old_connections()
    try:
        return webhook(request)
    finally:
        close_old_connections()
