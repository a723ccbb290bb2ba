"""Every django-stripe setting, with its default, read at call time.

`stripe_settings.STRIPE_SECRET_KEY` looks in Django settings first, then (for the keys listed in
`FROM_ENVIRONMENT`) in the process environment, then falls back to the default below. Nothing is cached,
so `override_settings` and environment changes take effect immediately.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Keys and product
    "STRIPE_SECRET_KEY": None,
    "STRIPE_PUBLISHABLE_KEY": None,
    "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": None,
    "STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY": False,
    "STRIPE_FREE_ACCESS_PRICE_ID": None,
    # SDK
    "STRIPE_APP_DATA": {"name": "django-stripe", "url": "https://github.com/django-stripe/django-stripe"},
    "STRIPE_API_BASE": None,
    "STRIPE_API_VERSION": None,
    "STRIPE_MAX_NETWORK_RETRIES": 2,
    "STRIPE_HTTP_CLIENT": None,
    # One request rate for every process using the key (ratelimit.py): requests per second, None for 80% of
    # Stripe's read limit for the key's mode (0 for no limit); the share kept for the app's own requests, which
    # a backfill never takes; and the Redis that shares the bucket between processes (None: one per process).
    "STRIPE_RATE_LIMIT": None,
    "STRIPE_RATE_LIMIT_RESERVED": 0.2,
    "STRIPE_RATE_LIMIT_REDIS_URL": None,
    # Webhooks
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_WEBHOOK_TOLERANCE": 300,
    "STRIPE_WEBHOOK_MAX_BODY_BYTES": 1024 * 1024,
    # Events of connected accounts (Connect) are refused unless the project mirrors them on purpose.
    "STRIPE_CONNECT_EVENTS": False,
    # Health (stripe_status, the admin's status page, `check --deploy`, the metrics): a pending event older than
    # this many seconds means no worker is applying events.
    "STRIPE_STATUS_MAX_PENDING_AGE": 300,
    # How many days processed and ignored events stay in the ledger (stripe_prune_events, its task).
    "STRIPE_EVENT_RETENTION_DAYS": 30,
    # The backfill: how many `created` ranges (segments) of a type one process fetches at once.
    "STRIPE_BACKFILL_THREADS": 4,
    # Usage reports: sent on the v2 meter event stream (validated by Stripe later), else on v1 meter events.
    "STRIPE_USAGE_STREAM": True,
    # Access
    "STRIPE_ACCESS_STATUSES": ("active", "trialing"),
    # An access check that names no product checks the default product; a subscription to any product counts
    # only when the project says so here (else such a check raises: the cheapest add-on must not unlock all).
    "STRIPE_ACCESS_ANY_PRODUCT": False,
    "STRIPE_SUBSCRIPTION_CACHE_NAME": "default",
    "STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS": 60,
    # What pays (billables.py): the model holding `stripe_customer_id` (None: AUTH_USER_MODEL); callables or
    # dotted paths, (request) -> billable | None and (user, billable) -> "manage" | "read" | None; and the
    # lookup from the billable model to the user model through which a user's own access checks are answered.
    "STRIPE_BILLABLE_MODEL": None,
    "STRIPE_BILLABLE_FOR_REQUEST": None,
    "STRIPE_BILLING_ROLE": None,
    "STRIPE_BILLABLE_MEMBERS": None,
    # Customers
    "STRIPE_KEEP_CUSTOMER_DETAILS_UPDATED": True,
    "STRIPE_NEW_CUSTOMER_GET_KWARGS": None,
    # A callable or dotted path, (user) -> bool: whether that user's email address is verified. Only then
    # may a completed checkout be linked to the user by its customer's email (see webhooks/linking.py).
    "STRIPE_VERIFIED_EMAIL": None,
    # What a subscription costs is the server's decision, never the buyer's
    "STRIPE_TRIAL_PERIOD_DAYS": None,
    "STRIPE_ALLOW_PROMOTION_CODES": False,
    # One live subscription per product per customer: a second is refused (change the first instead)
    "STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT": False,
    # Plan changes (payments.change_plan): a downgrade waits for the end of the paid period ("period_end", through a
    # subscription schedule) or applies at once ("now", prorated); an upgrade always applies now, paid now.
    "STRIPE_DOWNGRADE_AT": "period_end",
    # What Stripe does with the invoices of a paused subscription (payments.pause_subscription): "void",
    # "keep_as_draft" or "mark_uncollectible"; and whether a paused subscription still gives access.
    "STRIPE_PAUSE_BEHAVIOR": "void",
    "STRIPE_ACCESS_WHILE_PAUSED": False,
    # Checkout, setup intents and billing portal
    "STRIPE_PAYMENT_METHOD_TYPES": ("card",),
    "STRIPE_CHECKOUT_SUCCESS_URL": "/",
    "STRIPE_CHECKOUT_CANCEL_URL": "/",
    "STRIPE_BILLING_PORTAL_RETURN_URL": "/",
    # None: the library's own portal configuration (payments/billing_portal.py); "default": the account's
    "STRIPE_BILLING_PORTAL_CONFIGURATION": None,
    # The self-hosted checkout page
    "STRIPE_CHECKOUT_TITLE": "Django Stripe",
    "STRIPE_CHECKOUT_DEV_MODE": True,
    "STRIPE_CHECKOUT_DEFAULT_COUNTRY": "US",
    "STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE": False,
    "COUNTRY_HEADER": None,
    # Where the pages load Stripe.js from; None: Stripe's, or the fake's stand-in when STRIPE_API_BASE is set
    "STRIPE_JS_URL": None,
}

DOWNGRADE_MOMENTS = ("period_end", "now")
PAUSE_BEHAVIORS = ("void", "keep_as_draft", "mark_uncollectible")

# Stripe's API keys: secret (sk_), restricted (rk_) and publishable (pk_), each of a mode: sk_live_..., pk_test_...
KEY_KINDS, KEY_MODES = frozenset({"sk", "rk", "pk"}), frozenset({"live", "test"})

# Stripe's read limits, requests per second, by the key's mode (https://docs.stripe.com/rate-limits).
STRIPE_READ_LIMITS = {"live": 100, "test": 25}

FROM_ENVIRONMENT = frozenset({"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID"})
# Boolean settings are documented as strings, and bool("False") is True: these words mean false.
FALSE_WORDS = frozenset({"", "false", "0", "no", "off"})


def as_bool(value: Any) -> bool:
    """A boolean setting, also when given as a string: "false", "0", "no", "off" and "" (any case, spaces
    around ignored) are false, any other string is true; other values by their truth."""
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_WORDS
    return bool(value)


class StripeSettings:
    """Attribute access to the settings above: `stripe_settings.STRIPE_CHECKOUT_TITLE`."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown django-stripe setting: {name!r}")
        value = getattr(settings, name, None)
        if value is None and name in FROM_ENVIRONMENT:
            value = os.environ.get(name) or None
        if value is None:
            return DEFAULTS[name]
        return as_bool(value) if isinstance(DEFAULTS[name], bool) else value

    @property
    def webhook_secrets(self) -> list[str]:
        """STRIPE_WEBHOOK_SECRET as a list: one secret, or several while rotating."""
        secrets = self.STRIPE_WEBHOOK_SECRET or []
        return [secrets] if isinstance(secrets, str) else list(secrets)

    @property
    def webhook_tolerance(self) -> int:
        """STRIPE_WEBHOOK_TOLERANCE as the webhook endpoint applies it: a positive number of seconds. stripe-python
        skips the timestamp check for a tolerance of 0 or None, which would let a captured delivery be replayed
        forever: anything but a positive int (0, -1, "300", True) counts as the default. `manage.py check`
        reports such a value (django_stripe.E005)."""
        value = self.STRIPE_WEBHOOK_TOLERANCE
        positive_int = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return value if positive_int else DEFAULTS["STRIPE_WEBHOOK_TOLERANCE"]


stripe_settings = StripeSettings()


def key_mode(key: str | None) -> str | None:
    """The mode of a Stripe API key, "live" or "test", read from its prefix (sk_live_, rk_test_, pk_live_...);
    None for no key, or a key of no known shape: then no mode is known."""
    kind, _, rest = (key or "").partition("_")
    mode, separator, _ = rest.partition("_")
    return mode if kind in KEY_KINDS and mode in KEY_MODES and separator else None


def key_livemode() -> bool | None:
    """The `livemode` of the objects and events STRIPE_SECRET_KEY sees: True for a live key, False for a test
    one, None when no mode is known (no key set)."""
    mode = key_mode(stripe_settings.STRIPE_SECRET_KEY)
    return None if mode is None else mode == "live"


STRIPES_API = "api.stripe.com"


def is_stripes_api(base: str | None) -> bool:
    """Whether STRIPE_API_BASE leaves requests with Stripe: unset (the SDK's default), or https://api.stripe.com."""
    if not base:
        return True
    try:
        parts = urlsplit(str(base))
        port = parts.port
    except ValueError:  # a port that is no number
        return False
    return (
        parts.scheme == "https"
        and parts.hostname == STRIPES_API
        and port in (None, 443)
        and parts.path in ("", "/")
        and not parts.username
    )
