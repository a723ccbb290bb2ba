"""The webhook endpoint: verify the signature, store the event, enqueue it on commit, answer 200.

Nothing is applied here (unless Celery runs eagerly), so Stripe gets its 2xx fast. A request that fails
verification gets 400 with a short reason and leaves no row. Secrets and signature headers are never
logged.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

import stripe
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..conf import stripe_settings
from ..models import WebhookEvent
from ..sync.sql import insert_ignore
from ..tasks import enqueue_event

logger = logging.getLogger(__name__)


class Rejected(Exception):
    """The request is not a genuine Stripe event; the message is the short reason sent back."""


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """POST <api>/webhook/ from Stripe."""
    secrets = stripe_settings.webhook_secrets
    if not secrets:
        # Our misconfiguration, not the sender's: a 5xx makes Stripe retry until it is fixed.
        logger.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        return HttpResponseServerError("webhook secret not configured", content_type="text/plain")
    try:
        body = read_body(request)
        verify_signature(body, request.headers.get("Stripe-Signature"), secrets)
        payload = parse_event(body)
    except Rejected as reason:
        logger.info("Stripe webhook refused: %s", reason)
        return HttpResponseBadRequest(str(reason), content_type="text/plain")
    store_event(payload)
    return HttpResponse("ok", content_type="text/plain")


def read_body(request: HttpRequest) -> bytes:
    limit = stripe_settings.STRIPE_WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise Rejected("bad content length") from None
    if declared > limit:  # refuse before reading it into memory
        raise Rejected("body too large")
    body = request.body
    if len(body) > limit:
        raise Rejected("body too large")
    return body


def verify_signature(body: bytes, header: str | None, secrets: list[str]) -> None:
    """Accept the body if any configured secret verifies it (several while rotating)."""
    if not header:
        raise Rejected("missing signature")
    if not header.isascii():
        # Stripe's header is ASCII; the SDK's hmac.compare_digest raises TypeError (a 500) on anything else.
        raise Rejected("malformed signature header")
    tolerance = stripe_settings.STRIPE_WEBHOOK_TOLERANCE
    reason = "bad signature"
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8", "replace"), header, secret, tolerance)
            return
        except stripe.SignatureVerificationError as error:
            if "tolerance" in str(error).lower():
                reason = "timestamp outside the tolerance"
            elif "unable to extract" in str(error).lower():
                reason = "malformed signature header"
    raise Rejected(reason)


def parse_event(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise Rejected("malformed JSON") from None
    if not isinstance(payload, dict) or payload.get("object") != "event":
        raise Rejected("not a Stripe event")
    if not isinstance(payload.get("id"), str) or not isinstance(payload.get("type"), str):
        raise Rejected("not a Stripe event")
    if not isinstance(payload.get("created"), int) or not isinstance(payload.get("data"), dict):
        raise Rejected("not a Stripe event")
    return payload


def store_event(payload: dict[str, Any], *, enqueue: bool = True) -> bool:
    """Insert the event; a duplicate delivery (same id) is a no-op. Returns whether it was new.

    `enqueue=False` leaves a new event pending, for a caller that enqueues events in an order of its own
    (the Events-API catch-up, which reads them newest first).
    """
    event = WebhookEvent(
        id=payload["id"],
        type=payload["type"],
        api_version=payload.get("api_version"),
        livemode=bool(payload.get("livemode")),
        created=datetime.fromtimestamp(payload["created"], tz=UTC),
        payload=payload,
    )
    with transaction.atomic():
        created = insert_ignore(event)
        if created and enqueue:
            transaction.on_commit(partial(enqueue_event, event.id))
    return created
