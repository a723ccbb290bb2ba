"""What each of Stripe's errors means to the library: the one place that reads the SDK's error classes, HTTP
statuses and codes, so that the REST answers (api/errors.py), the sync's retries (sync/backoff.py), the
commands and the admin tell them apart alike.

Three kinds matter: errors that no call to Stripe would escape (a refused key, Stripe unreachable, no key
configured: stop and say so in one line), errors that a later try may not meet (a rate limit, a server error),
and errors about the request itself (a declined card, an unknown id), which are the caller's to answer.
"""

from __future__ import annotations

import re

import stripe

from .conf import stripe_settings
from .exceptions import StripeNotConfigured


def is_unavailable(error: Exception) -> bool:
    """Whether Stripe was busy, down or out of reach: the same request may well succeed shortly."""
    return isinstance(error, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError)


def is_key_refused(error: Exception) -> bool:
    """Whether Stripe refused the configured API key, for everything or for this resource (a restricted key):
    the site's to fix, nothing the user can do."""
    return isinstance(error, stripe.AuthenticationError | stripe.PermissionError)


def is_retryable(error: stripe.StripeError) -> bool:
    """Whether the sync backs off and tries again: a rate limit (429) or a server error (5xx)."""
    status = error.http_status or 0
    return isinstance(error, stripe.RateLimitError) or status == 429 or status >= 500


def is_missing(error: stripe.StripeError) -> bool:
    """Whether Stripe answered that the object (or the list's parent) does not exist."""
    return error.http_status == 404 or error.code == "resource_missing"


def fatal_error(error: Exception) -> str | None:
    """The one-line message for errors that no other type would escape either, or None."""
    if isinstance(error, stripe.PermissionError):
        return f"The API key may not read this ({error.user_message or error})"
    return unusable_stripe(error)


def unusable_stripe(error: Exception) -> str | None:
    """The one-line message for errors no call to Stripe would escape (a refused key, Stripe unreachable,
    no key configured), or None. Unlike `fatal_error`, not a key refused one resource (a restricted key):
    that fails only what needs the resource, e.g. some of the events a replay applies."""
    if isinstance(error, stripe.AuthenticationError):
        return f"Stripe refused the API key (check STRIPE_SECRET_KEY): {error.user_message or error}"
    if isinstance(error, stripe.APIConnectionError):
        base = stripe_settings.STRIPE_API_BASE or "https://api.stripe.com"
        return f"Stripe is unreachable at {base} ({network_reason(error)}): check STRIPE_API_BASE and the network"
    if isinstance(error, StripeNotConfigured):
        return str(error)
    return None


def network_reason(error: stripe.APIConnectionError) -> str:
    """The last cause in the SDK's message ("[Errno 111] Connection refused"), on one line."""
    message = " ".join(str(error.user_message or error).split())
    match = re.search(r"(\[Errno[^\]]*\][^\"')]*|timed out|Name or service not known)", message)
    return match.group(1).strip() if match else "connection failed"
