"""Stripe's meter error reports: the v2 stream's events that Stripe accepted and could not count (no such
customer, the meter inactive, too old) come back in a `v1.billing.meter.error_report_triggered` event (or
`v1.billing.meter.no_meter_found`), each refused event among its `sample_errors` with its identifier. The
outbox row of each is marked `refused`, with Stripe's code and message, for the admin and `stripe_status`.

Only rows of this outbox are touched (by their identifier, Stripe's deduplication key); an event naming
identifiers it does not have changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from ..models import UsageReport, WebhookEvent
from .registry import webhook_handler


@webhook_handler("v1.billing.meter.error_report_triggered", "v1.billing.meter.no_meter_found")
def meter_error_report(event: WebhookEvent) -> None:
    """Mark the outbox rows of the events the report names as refused, with the reason Stripe gives."""
    report = event.payload.get("data", {}).get("object") or {}
    by_reason: dict[str, list[str]] = defaultdict(list)
    for error_type in (report.get("reason") or {}).get("error_types") or []:
        for sample in error_type.get("sample_errors") or []:
            identifier = (sample.get("request") or {}).get("identifier")
            if identifier:
                reason = f"{error_type.get('code')}: {sample.get('error_message') or ''}".strip()
                by_reason[reason].append(str(identifier))
    for reason, identifiers in by_reason.items():
        UsageReport.objects.filter(identifier__in=identifiers).update(
            state=UsageReport.State.REFUSED, refusal_reason=reason
        )
