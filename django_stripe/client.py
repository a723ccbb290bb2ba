"""The one place that builds a `stripe.StripeClient`.

Keys, API base and version are read from settings on every call, so tests and key rotation need no
restart. Clients are cached per configuration because building one creates an HTTP session. The stripe
module's globals (`stripe.api_key`, `stripe.api_base`, ...) are never touched, but for `stripe.app_info`:
the SDK takes the plugin's name (STRIPE_APP_DATA, sent in the User-Agent) nowhere else.

Every client sends through `ratelimit.RateLimitedHTTPClient`: each attempt waits for a token of the key's
bucket (the rate is read from settings per request, so it too needs no restart).
"""

from __future__ import annotations

from functools import lru_cache

import stripe
from stripe._http_client import new_http_client_async_fallback

from .conf import stripe_settings
from .exceptions import StripeNotConfigured
from .ratelimit import RateLimitedHTTPClient


def get_client() -> stripe.StripeClient:
    """A StripeClient for the configured key, API base and API version."""
    api_key = stripe_settings.STRIPE_SECRET_KEY
    if not api_key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set: add it to your settings or to the environment.")
    _identify(stripe_settings.STRIPE_APP_DATA)
    return _build_client(
        api_key,
        stripe_settings.STRIPE_API_BASE,
        stripe_settings.STRIPE_API_VERSION,
        stripe_settings.STRIPE_MAX_NETWORK_RETRIES,
        stripe_settings.STRIPE_HTTP_CLIENT,
    )


def api_version() -> str:
    """The Stripe API version every request is pinned to."""
    return stripe_settings.STRIPE_API_VERSION or stripe.api_version


@lru_cache(maxsize=16)
def _build_client(
    api_key: str,
    api_base: str | None,
    version: str | None,
    max_network_retries: int,
    http_client: stripe.HTTPClient | None,
) -> stripe.StripeClient:
    # The fake serves every base address, the v2 meter event stream's too (Stripe's is meter-events.stripe.com).
    base_addresses = {"api": api_base, "files": api_base, "meter_events": api_base} if api_base else None
    # The SDK's own default when none is given (requests, else urllib), built as the SDK builds it (with its
    # fallback for async requests, from the SDK's module: the package does not export it) so that it can be wrapped.
    inner = http_client or stripe.new_default_http_client(async_fallback_client=new_http_client_async_fallback())
    return stripe.StripeClient(
        api_key,
        stripe_version=version or stripe.api_version,
        base_addresses=base_addresses,
        max_network_retries=max_network_retries,
        http_client=RateLimitedHTTPClient(inner, api_key),
    )


_identified_as: dict[str, str | None] | None = None


def _identify(app_data: dict[str, str] | str | None) -> None:
    """Tell Stripe which plugin makes the requests (a name, or a dict of name, url, version, partner_id),
    unless the project set the SDK's app info itself: that one is left alone."""
    global _identified_as
    given = {"name": app_data} if isinstance(app_data, str) else dict(app_data or {})
    wanted = {key: given.get(key) for key in ("name", "partner_id", "url", "version")}
    if wanted["name"] and stripe.app_info in (None, _identified_as) and stripe.app_info != wanted:
        stripe.set_app_info(**wanted)
        _identified_as = stripe.app_info
