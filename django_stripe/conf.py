"""Every django-stripe setting, with its default, read at call time.

`stripe_settings.STRIPE_SECRET_KEY` looks in Django settings first, then (for the keys listed in
`FROM_ENVIRONMENT`) in the process environment, then falls back to the default below. Nothing is cached,
so `override_settings` and environment changes take effect immediately.
"""

from __future__ import annotations

import os
from typing import Any

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
    # Webhooks
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_WEBHOOK_TOLERANCE": 300,
    "STRIPE_WEBHOOK_MAX_BODY_BYTES": 1024 * 1024,
    # Access
    "STRIPE_ACCESS_STATUSES": ("active", "trialing"),
    "STRIPE_SUBSCRIPTION_CACHE_NAME": "default",
    "STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS": 60,
    # Customers
    "STRIPE_KEEP_CUSTOMER_DETAILS_UPDATED": True,
    "STRIPE_NEW_CUSTOMER_GET_KWARGS": None,
    # Checkout, setup intents and billing portal
    "STRIPE_PAYMENT_METHOD_TYPES": ("card",),
    "STRIPE_CHECKOUT_SUCCESS_URL": "/",
    "STRIPE_CHECKOUT_CANCEL_URL": "/",
    "STRIPE_BILLING_PORTAL_RETURN_URL": "/",
    # The self-hosted checkout page
    "STRIPE_CHECKOUT_TITLE": "Django Stripe",
    "STRIPE_CHECKOUT_DEV_MODE": True,
    "STRIPE_CHECKOUT_DEFAULT_COUNTRY": "US",
    "STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE": False,
    "COUNTRY_HEADER": None,
    # Where the pages load Stripe.js from; None: Stripe's, or the fake's stand-in when STRIPE_API_BASE is set
    "STRIPE_JS_URL": None,
}

FROM_ENVIRONMENT = frozenset({"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID"})
# The seed documents the boolean settings as strings, and bool("False") is True: these words mean false.
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
        from django.conf import settings

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


stripe_settings = StripeSettings()
