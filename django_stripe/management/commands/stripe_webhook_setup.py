"""`manage.py stripe_webhook_setup URL`: make Stripe's webhook endpoint on URL send what the mirror handles.

    stripe_webhook_setup https://example.com/api/webhook/           create or update it
    stripe_webhook_setup https://example.com/api/webhook/ --check   report what drifted (exit status 1)

The endpoint subscribes to exactly the event types the registry handles (built-in and the project's
`@webhook_handler`s), at the pinned API version. Its signing secret is printed once, when it is created:
Stripe shows it only then; add it to STRIPE_WEBHOOK_SECRET (a list during a rotation). Stripe never changes
an endpoint's version, so one of another version is replaced by a new endpoint: the old one is named, left
enabled until the new secret is deployed, then deleted by you.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import stripe
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...stripe_errors import unusable_stripe
from ...webhooks.endpoint import drift, endpoints_at, set_up


def valid_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"Not an http(s) URL: {value!r}")
    return value


class Command(BaseCommand):
    help = "Create or update the Stripe webhook endpoint on URL (the handled event types, the pinned version)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="The endpoint's public URL, e.g. https://example.com/api/webhook/")
        parser.add_argument("--check", action="store_true", help="Change nothing: report drift, exit 1 if any.")

    def handle(self, *args: Any, url: str, check: bool, **options: Any) -> None:
        url = valid_url(url)
        try:
            self.check_endpoint(url) if check else self.set_up(url)
        except stripe.StripeError as error:
            raise CommandError(unusable_stripe(error) or f"Stripe refused: {error.user_message or error}") from None

    def check_endpoint(self, url: str) -> None:
        existing = endpoints_at(url)
        if not existing:
            raise CommandError(f"No Stripe webhook endpoint on {url}: run stripe_webhook_setup {url}")
        problems = drift(existing[0])
        if problems:
            raise CommandError(
                f"The Stripe webhook endpoint {existing[0].id} on {url} drifted:\n  " + "\n  ".join(problems)
            )
        self.stdout.write(f"The Stripe webhook endpoint {existing[0].id} on {url} is up to date.")

    def set_up(self, url: str) -> None:
        done = set_up(url)
        endpoint = done.endpoint
        events = len(endpoint.enabled_events)
        if done.secret is None:
            self.stdout.write(
                f"Updated {endpoint.id} on {url}: {events} event types, API version {endpoint.api_version}."
            )
            return
        self.stdout.write(f"Created {endpoint.id} on {url}: {events} event types, API version {endpoint.api_version}.")
        self.stdout.write(f"Its signing secret (shown once; add it to STRIPE_WEBHOOK_SECRET): {done.secret}")
        if done.replaced is not None:
            self.stdout.write(
                f"{done.replaced.id} on the same URL is of API version {done.replaced.api_version}: delete it once "
                "the new secret is deployed."
            )
