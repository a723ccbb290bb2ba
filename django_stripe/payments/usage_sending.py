"""Sending the usage outbox (models/usage.py) to Stripe's meter events: the work of the `send_usage_reports` task.

A send claims the due rows with `SELECT ... FOR UPDATE SKIP LOCKED` (the claim is the lock: two workers never
send one row at once), sends them STREAM_BATCH to a request and records each row's outcome, all under one
commit. A worker killed after Stripe answered leaves its rows pending, and they are sent again: the identifier
is Stripe's deduplication key, so the resend is counted once.

- Sent on Stripe's v2 meter event stream where the SDK has it (a session token, cached until shortly before it
  expires), else, or when the account refuses the stream, on v1 `billing.meter_events`, one request a row.
- Busy, down or unreachable (429, 5xx, a network error): the rows are kept, due again after a backoff.
- Refused (no such customer, the meter inactive, too old): the row is `refused`, with Stripe's reason. The
  stream refuses a request as a whole: its rows are then sent on v1, which answers for each one.
- Sent in the shared rate limit's bulk share (ratelimit.py), so that a flood of usage never starves the app's
  own requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..client import get_client
from ..conf import stripe_settings
from ..models import UsageReport
from ..ratelimit import bulk_requests
from ..signals import usage_reports_sent
from ..stripe_errors import is_retryable
from ..sync.backoff import Backoff

logger = logging.getLogger(__name__)

STREAM_BATCH = 100
"""Events per request on the v2 stream: Stripe's limit."""
CLAIM_SIZE = 1000
"""Rows claimed by one send, under one transaction."""
RETRY_BACKOFF = Backoff(base=1.0, cap=300.0)
"""When a kept row is due again, by its attempts."""
SESSION_MARGIN_SECONDS = 60
"""A session token this close to its expiry is renewed first."""
SESSION_REFUSED = (stripe.TemporarySessionExpiredError, stripe.AuthenticationError)
"""What the stream answers a session token it no longer takes; and, kept with backoff, a key Stripe refuses."""
V1_ONLY_SECONDS = 3600
"""How long the account's refusal of the stream holds before it is asked again."""


@dataclass
class SendOutcome:
    """What one send did with the rows it claimed."""

    sent: list[UsageReport] = field(default_factory=list)
    refused: list[UsageReport] = field(default_factory=list)
    kept: list[UsageReport] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.refused) + len(self.kept)

    def as_dict(self) -> dict[str, int]:
        return {"sent": len(self.sent), "refused": len(self.refused), "kept": len(self.kept)}


def send_due_reports(limit: int = CLAIM_SIZE) -> SendOutcome:
    """Claim up to `limit` due rows, send them and record each one's outcome, under one commit."""
    outcome = SendOutcome()
    with transaction.atomic():
        rows = list(
            UsageReport.objects.select_for_update(skip_locked=True)
            .filter(state=UsageReport.State.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not rows:
            return outcome
        with bulk_requests():
            for batch in _batches(rows, STREAM_BATCH):
                if outcome.kept:  # Stripe is busy or down: the rest waits with what it did not take
                    outcome.kept.extend(batch)
                else:
                    _send(batch, outcome)
        _record(outcome, timezone.now())
        if outcome.sent:
            sent = outcome.sent
            transaction.on_commit(lambda: usage_reports_sent.send(UsageReport, reports=sent))
    return outcome


def send_all_due(max_rounds: int = 100) -> dict[str, int]:
    """Send due rows until none is left that this round could send (kept rows wait for their backoff)."""
    totals = {"sent": 0, "refused": 0, "kept": 0}
    for _ in range(max_rounds):
        outcome = send_due_reports()
        for key, count in outcome.as_dict().items():
            totals[key] += count
        if outcome.claimed < CLAIM_SIZE or outcome.kept:
            break
    return totals


def _send(batch: list[UsageReport], outcome: SendOutcome) -> None:
    client = get_client()
    if _stream_usable(client):
        try:
            _send_on_stream(client, batch)
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:  # the account has no stream
                _streams.refuse(client)
            logger.info("Stripe refused a meter event stream request (%s): sending its rows one by one", error)
        except stripe.StripeError as error:
            if not _keep_if_retryable(error, batch, outcome):
                raise
            return
        else:
            outcome.sent.extend(batch)
            return
    for row in batch:
        _send_one(client, row, outcome)


def _send_one(client: stripe.StripeClient, row: UsageReport, outcome: SendOutcome) -> None:
    try:
        client.v1.billing.meter_events.create(
            {
                "event_name": row.event_name,
                "identifier": row.identifier,
                "payload": _payload(row),
                "timestamp": int(row.timestamp.timestamp()),
            }
        )
    except stripe.InvalidRequestError as error:
        if _already_counted(error):
            outcome.sent.append(row)
        else:
            row.refusal_reason = error.user_message or str(error)
            outcome.refused.append(row)
    except stripe.StripeError as error:
        if not _keep_if_retryable(error, [row], outcome):
            raise
    else:
        outcome.sent.append(row)


def _send_on_stream(client: stripe.StripeClient, batch: list[UsageReport]) -> None:
    events = [
        {
            "event_name": row.event_name,
            "identifier": row.identifier,
            "payload": _payload(row),
            "timestamp": row.timestamp.isoformat().replace("+00:00", "Z"),
        }
        for row in batch
    ]
    for renewed in (False, True):
        token = _streams.token(client, renew=renewed)
        try:
            client.v2.billing.meter_event_stream.create({"events": events}, {"api_key": token})
            return
        except SESSION_REFUSED:  # the session expired early (or the fake restarted): one new one
            if renewed:
                raise


def _payload(row: UsageReport) -> dict[str, str]:
    return {"stripe_customer_id": row.customer_id, "value": str(row.value)}


def _already_counted(error: stripe.InvalidRequestError) -> bool:
    """Whether v1 refused the event as a duplicate of its identifier: an earlier send counted it."""
    return error.code == "duplicate_meter_event"


def _keep_if_retryable(error: stripe.StripeError, rows: list[UsageReport], outcome: SendOutcome) -> bool:
    if not (is_retryable(error) or isinstance(error, stripe.APIConnectionError | SESSION_REFUSED)):
        return False
    logger.warning("Stripe did not take %d meter events (%s): kept, sent again later", len(rows), error)
    for row in rows:
        row.refusal_reason = f"{error.__class__.__name__}: {error.user_message or error}"[:500]
    outcome.kept.extend(rows)
    return True


def _record(outcome: SendOutcome, now: datetime) -> None:
    """A few set-based UPDATEs: the sent rows at once, the kept ones by attempts, the refused ones by reason."""
    rows = UsageReport.objects
    attempted = F("attempts") + 1
    if outcome.sent:
        sent = [row.pk for row in outcome.sent]
        rows.filter(pk__in=sent).update(
            state=UsageReport.State.SENT, sent_at=now, refusal_reason="", attempts=attempted
        )
    for reason, refused in _grouped(outcome.refused, lambda row: row.refusal_reason).items():
        rows.filter(pk__in=refused).update(state=UsageReport.State.REFUSED, refusal_reason=reason, attempts=attempted)
    for (attempts, reason), kept in _grouped(outcome.kept, lambda row: (row.attempts, row.refusal_reason)).items():
        due = now + timedelta(seconds=RETRY_BACKOFF.delay(attempts + 1))
        rows.filter(pk__in=kept).update(next_attempt_at=due, refusal_reason=reason, attempts=attempted)


def _grouped(rows: list[UsageReport], key) -> dict:
    groups: dict = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row.pk)
    return groups


def _batches(rows: list[UsageReport], size: int) -> Iterator[list[UsageReport]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _stream_usable(client: stripe.StripeClient) -> bool:
    if not stripe_settings.STRIPE_USAGE_STREAM:
        return False
    v2_billing = getattr(getattr(client, "v2", None), "billing", None)
    return hasattr(v2_billing, "meter_event_stream") and not _streams.refused(client)


class _StreamSessions:
    """The stream's session token of each API key, kept until shortly before it expires; and the keys whose
    account refused the stream lately."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[str, float]] = {}
        self._refused_until: dict[int, float] = {}

    def token(self, client: stripe.StripeClient, renew: bool = False) -> str:
        with self._lock:
            token, expires_at = self._tokens.get(id(client), ("", 0.0))
            if renew or time.time() > expires_at - SESSION_MARGIN_SECONDS:
                session = client.v2.billing.meter_event_session.create()
                token, expires_at = session.authentication_token, _epoch(session.expires_at)
                self._tokens[id(client)] = (token, expires_at)
            return token

    def refuse(self, client: stripe.StripeClient) -> None:
        with self._lock:
            self._refused_until[id(client)] = time.time() + V1_ONLY_SECONDS

    def refused(self, client: stripe.StripeClient) -> bool:
        return self._refused_until.get(id(client), 0.0) > time.time()


_streams = _StreamSessions()


def _epoch(expires_at: object) -> float:
    if isinstance(expires_at, int | float):
        return float(expires_at)
    return datetime.fromisoformat(str(expires_at).replace("Z", "+00:00")).timestamp()
