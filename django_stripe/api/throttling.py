"""Throttling of the write endpoints: every POST, PUT and DELETE calls Stripe, whose rate limit is shared
by your whole account."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

DEFAULT_RATE = "60/minute"


class StripeWriteThrottle(ScopedRateThrottle):
    """Per-user limit on writes, scope `django_stripe` (tune it in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    or set it to None to switch throttling off). Reads from the mirror are never throttled."""

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        # Read at call time (not at import) so a project's settings and override_settings apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, DEFAULT_RATE)
