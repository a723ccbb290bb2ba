"""The webhook endpoint: verify the signature, store the event, answer 200; the dispatcher sends it on.

It takes snapshot events and event destinations' thin notifications alike (signed the same way; the worker
reads a thin event's object from Stripe: webhooks/thin.py).

Nothing is applied here (unless Celery runs eagerly), so Stripe gets its 2xx fast. A request that fails
verification gets 400 with a short reason and leaves no row. Secrets and signature headers are never
logged.

Every refusal is logged at WARNING with its reason and what to check, at most once per reason a minute
(webhooks/refusals.py). A genuine event is still refused (400, no row) when it is not this mirror's to apply:
an event of the other mode than STRIPE_SECRET_KEY's (a test-mode endpoint secret listed beside the live one
would otherwise let test objects into the live mirror), and an event of a connected account (Connect: its
objects are not the platform's) unless STRIPE_CONNECT_EVENTS says the project mirrors those on purpose.
"""

from __future__ import annotations

import json
import logging
import re
import time
from functools import partial
from typing import Any

import stripe
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..conf import key_livemode, stripe_settings
from .dispatch import dispatcher
from .ledger import event_livemode, store_event
from .refusals import BAD_SIGNATURE, CONNECTED_ACCOUNT, OTHER_MODE, TOLERANCE, refusal_log
from .thin import THIN_OBJECT, is_thin, parse_time

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
        payload, text = parse_event(body)
    except Rejected as reason:
        refusal_log.refused(str(reason), f"from {request.META.get('REMOTE_ADDR') or 'an unknown address'}")
        return refusal(reason)
    try:
        check_origin(payload)
    except Rejected as reason:
        # Genuine, but from somewhere this mirror does not follow: likely a misconfigured secret.
        refusal_log.refused(str(reason), f"event {payload['id']} ({payload['type']})")
        return refusal(reason)
    if store_event(payload, text=text):
        # Handed on once committed, never before (the insert commits on its own, so at once in production);
        # a duplicate delivery was handed on when it was new.
        transaction.on_commit(partial(dispatcher.send, payload["id"]))
    return HttpResponse("ok", content_type="text/plain")


def refusal(reason: Rejected) -> HttpResponse:
    return HttpResponseBadRequest(str(reason), content_type="text/plain")


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
    """Accept the body if any configured secret verifies it (several while rotating), signed within the
    tolerance of now in either direction."""
    if not header:
        raise Rejected("missing signature")
    if not header.isascii():
        # Stripe's header is ASCII; the SDK's hmac.compare_digest raises TypeError (a 500) on anything else.
        raise Rejected("malformed signature header")
    tolerance = stripe_settings.webhook_tolerance  # never 0: the SDK would skip the replay check
    reason = BAD_SIGNATURE
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8", "replace"), header, secret, tolerance)
        except stripe.SignatureVerificationError as error:
            if "tolerance" in str(error).lower():
                reason = TOLERANCE
            elif "unable to extract" in str(error).lower():
                reason = "malformed signature header"
            continue
        # The SDK bounds a timestamp's age only: one far ahead would let a captured delivery be replayed from now
        # until that time, plus the tolerance.
        if signed_at(header) > time.time() + tolerance:
            raise Rejected(TOLERANCE)
        return
    raise Rejected(reason)


def signed_at(header: str) -> int:
    """The timestamp of a header stripe-python has verified, read as it reads it: the first `t=` field."""
    fields = [item.split("=", 2) for item in header.split(",")]
    return int(next(field[1] for field in fields if field[0] == "t"))


# What the WebhookEvent row can hold: its id and type columns, its api_version column, a created that is a date.
MAX_ID_CHARS, MAX_API_VERSION_CHARS, MAX_CREATED = 255, 64, 253_402_300_799  # 9999-12-31T23:59:59Z


def parse_event(body: bytes) -> tuple[dict[str, Any], str]:
    """The event in a verified body (a snapshot event, or an event destination's thin notification: both are
    signed alike, the SDK's `parse_event_notification` verifying the header as `construct_event` does), and the
    body as text to store, or Rejected. A signed body is Stripe's, but
    whatever it holds must end in a 400, never a 500 (Stripe would retry a 500 for days): so the fields the
    row is built from are checked against the columns, and what PostgreSQL's jsonb cannot store (NUL, a lone
    surrogate, NaN) is refused."""
    try:
        text = body.decode("utf-8")
        payload = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested thousands deep
        raise Rejected("malformed JSON") from None
    if not isinstance(payload, dict) or payload.get("object") not in ("event", THIN_OBJECT):
        raise Rejected("not a Stripe event")
    if not all(_is_name(payload.get(field), MAX_ID_CHARS) for field in ("id", "type")):
        raise Rejected("not a Stripe event")
    if not (_is_thin_notification(payload) if is_thin(payload) else _is_snapshot_event(payload)):
        raise Rejected("not a Stripe event")
    if not storable(text):
        raise Rejected("unsupported characters")
    return payload, text


def _is_snapshot_event(payload: dict[str, Any]) -> bool:
    created = payload.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created <= MAX_CREATED:
        return False
    version = payload.get("api_version")
    return isinstance(payload.get("data"), dict) and (version is None or _is_name(version, MAX_API_VERSION_CHARS))


def _is_thin_notification(payload: dict[str, Any]) -> bool:
    """An event destination's notification, as the SDK's `EventNotification` reads it: an ISO 8601 `created`,
    and what it names (`related_object`, optional: a v2 event may name nothing) and for whom (`context`)."""
    try:
        created = parse_time(payload["created"]) if isinstance(payload.get("created"), str) else None
    except (ValueError, OverflowError):  # OverflowError: a time near year 1 moved to UTC
        created = None
    if created is None or not 0 <= created.timestamp() <= MAX_CREATED:
        return False
    related = payload.get("related_object")
    if related is not None and not (
        isinstance(related, dict) and all(_is_name(related.get(field), MAX_ID_CHARS) for field in ("id", "type"))
    ):
        return False
    context = payload.get("context")
    return context is None or _is_name(context, MAX_ID_CHARS)


def check_origin(payload: dict[str, Any]) -> None:
    """Refuse a verified event that this mirror must not apply: one of the other mode than the key's, or one
    of a connected account unless STRIPE_CONNECT_EVENTS."""
    expected = key_livemode()
    if expected is not None and event_livemode(payload) != expected:
        raise Rejected(OTHER_MODE)
    # A thin event names the connected account it is about in `context`.
    if (payload.get("account") or payload.get("context")) and not stripe_settings.STRIPE_CONNECT_EVENTS:
        raise Rejected(CONNECTED_ACCOUNT)


def _is_name(value: Any, max_chars: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_chars


# The JSON escapes jsonb refuses: NUL, and a surrogate that is not half of a pair.
UNSTORABLE_ESCAPE = re.compile(
    r"\\u0000"
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def storable(text: str) -> bool:
    """Whether JSON `text` (valid, decoded from UTF-8, so with no raw surrogate) holds nothing jsonb refuses.
    Escaped backslashes are dropped first, so that the six characters "\\u0000" written as text in a field
    (escaped as \\\\u0000) are not taken for a NUL."""
    return "\\u" not in text or UNSTORABLE_ESCAPE.search(text.replace("\\\\", "")) is None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
