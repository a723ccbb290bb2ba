"""DRF permissions that gate your own API views on a subscription or an entitlement: the user's own, or,
where teams pay (STRIPE_BILLABLE_MODEL, STRIPE_BILLABLE_MEMBERS), that of any team the user belongs to, still in
one query. A gate answers for the user, whatever billable the request acts for: it asks "may this person use
the feature", not "may they manage this team's billing" (the API's own views ask that, see views.py).

class ReportView(APIView):
    permission_classes = [IsAuthenticated, IsSubscribed]

class ExportView(APIView):
    permission_classes = [IsAuthenticated, HasEntitlement.for_feature("exports")]
"""

from __future__ import annotations

import logging

from rest_framework.permissions import BasePermission

from ..exceptions import StripeNotConfigured
from ..payments import has_entitlement, is_subscribed_with_cache

logger = logging.getLogger(__name__)


class IsSubscribed(BasePermission):
    """Allows users subscribed to `product_id` (the default product when None), checked through the cache.

    Without a product to check (no `product_id`, no STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID, no
    STRIPE_ACCESS_ANY_PRODUCT) it denies every request, as to a user without a subscription, rather than answer
    every caller a server error, and logs the error once per class (manage.py check: W004)."""

    message = "An active subscription is required."
    product_id: str | None = None

    @classmethod
    def for_product(cls, product_id: str) -> type[IsSubscribed]:
        return type(f"IsSubscribedTo_{product_id}", (cls,), {"product_id": product_id})

    def has_permission(self, request, view) -> bool:
        try:
            return is_subscribed_with_cache(request.user, self.product_id)
        except StripeNotConfigured as error:
            self._log_misconfiguration(error)
            return False

    @classmethod
    def _log_misconfiguration(cls, error: StripeNotConfigured) -> None:
        # Every request after this one fails alike: once per class (not inherited: a subclass is another gate).
        if not cls.__dict__.get("_misconfiguration_logged"):
            cls._misconfiguration_logged = True
            logger.error("%s denies every request: %s", cls.__name__, error)


class HasEntitlement(BasePermission):
    """Allows users whose Stripe customer has the feature `lookup_key` (see Stripe Entitlements)."""

    lookup_key: str = ""

    @classmethod
    def for_feature(cls, lookup_key: str) -> type[HasEntitlement]:
        return type(f"HasEntitlement_{lookup_key}", (cls,), {"lookup_key": lookup_key})

    @property
    def message(self) -> str:
        return f"This needs the '{self.lookup_key}' feature."

    def has_permission(self, request, view) -> bool:
        return has_entitlement(request.user, self.lookup_key)
