"""DRF permissions that gate your own API views on a subscription or an entitlement.

class ReportView(APIView):
    permission_classes = [IsAuthenticated, IsSubscribed]

class ExportView(APIView):
    permission_classes = [IsAuthenticated, HasEntitlement.for_feature("exports")]
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from ..payments import has_entitlement, is_subscribed_with_cache


class IsSubscribed(BasePermission):
    """Allows users subscribed to `product_id` (the default product when None), checked through the cache."""

    message = "An active subscription is required."
    product_id: str | None = None

    @classmethod
    def for_product(cls, product_id: str) -> type[IsSubscribed]:
        return type(f"IsSubscribedTo_{product_id}", (cls,), {"product_id": product_id})

    def has_permission(self, request, view) -> bool:
        return is_subscribed_with_cache(request.user, self.product_id)


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
