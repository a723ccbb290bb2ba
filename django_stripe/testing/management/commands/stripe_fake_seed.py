"""`manage.py stripe_fake_seed catalogue.json`: put a catalogue of your own into the fake Stripe.

    stripe_fake_seed catalogue.json     products and their prices, and customers (see django_stripe.testing.catalogue)

It talks to the Stripe your settings name (STRIPE_API_BASE: the fake while developing; a test-mode account works
too, never a live key) and mirrors each object at once, so the catalogue is in the database when the command
ends, whether or not the webhooks reach your project. Running it again creates nothing twice. A customer entry
with `"user": "<username>"` is linked to that Django user.

It is the testing app's command: "django_stripe.testing" in INSTALLED_APPS makes it available.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_stripe.client import get_client
from django_stripe.conf import key_livemode
from django_stripe.payments import mirror_stripe_object
from django_stripe.stripe_errors import unusable_stripe

from ...catalogue import CatalogueError, Seeded, describe, load_catalogue, seed_catalogue


class Command(BaseCommand):
    help = "Create a catalogue file's products, prices and customers in the fake Stripe (or a test-mode account)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("catalogue", help='A JSON file: {"products": [...], "customers": [...]}.')

    def handle(self, *args: Any, catalogue: str, **options: Any) -> None:
        try:
            entries = load_catalogue(catalogue)
        except CatalogueError as error:
            raise CommandError(str(error)) from None
        if key_livemode():
            raise CommandError("STRIPE_SECRET_KEY is a live key: stripe_fake_seed only seeds the fake or test mode.")
        try:
            seeded = seed_catalogue(get_client(), entries, on_seeded=self.mirror)
        except Exception as error:
            message = unusable_stripe(error)
            if message is not None:
                raise CommandError(message) from None
            if isinstance(error, stripe.StripeError):
                raise CommandError(f"Stripe refused the catalogue: {error.user_message or error}") from None
            raise
        created = sum(item.created for item in seeded)
        self.stdout.write(f"Seeded {created} new object(s), {len(seeded) - created} already there.")

    def mirror(self, item: Seeded) -> None:
        mirror_stripe_object(item.object)
        if item.object.object == "customer" and item.entry.get("user"):
            self.link(item.object.id, item.entry["user"])
        self.stdout.write(describe(item))

    def link(self, customer_id: str, username: str) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r} to link customer {customer_id} to.") from None
        if user.stripe_customer_id not in (None, "", customer_id):
            raise CommandError(f"User {username!r} already has customer {user.stripe_customer_id}, not {customer_id}.")
        if user.stripe_customer_id != customer_id:
            user.stripe_customer_id = customer_id
            user.save()
