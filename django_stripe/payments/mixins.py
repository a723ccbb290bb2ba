"""Access gates for class-based views, as `subscription_required` is for view functions:

    class ReportView(SubscriptionRequiredMixin, TemplateView):
        product_id = "prod_pro"                # default: STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
        redirect_to = "subscription-portal"    # default: 403

    class ExportView(EntitlementRequiredMixin, View):
        lookup_key = "exports"

They build on Django's AccessMixin: anonymous users go to the login page (`login_url`, `redirect_field_name`),
users without access get 403 (`permission_denied_message`), or a redirect to `redirect_to` (a URL or URL name).
Put the mixin first, so that its check runs before the view's own dispatch.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from ..exceptions import StripeNotConfigured
from .access import MisconfigurationReport, has_entitlement, is_subscribed_with_cache


class AccessRequiredMixin(AccessMixin):
    """The gate both mixins share: `has_access(request)` decides for an authenticated user."""

    redirect_to: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated or not self.has_access(request):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def has_access(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def handle_no_permission(self) -> HttpResponseBase:
        if self.request.user.is_authenticated and self.redirect_to:
            return redirect(self.redirect_to)
        return super().handle_no_permission()  # the login page, or PermissionDenied (403)


class SubscriptionRequiredMixin(AccessRequiredMixin):
    """Lets through users subscribed to `product_id` (the default product when None), checked through the cache
    (`is_subscribed_with_cache`). Without a product to check (none named, no STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID,
    no STRIPE_ACCESS_ANY_PRODUCT) it denies every user as one without access, and logs the error once per view
    class (manage.py check: W004). Where teams pay, a user has access through every team they belong to."""

    product_id: str | None = None
    permission_denied_message = "An active subscription is required."

    def has_access(self, request: HttpRequest) -> bool:
        try:
            return is_subscribed_with_cache(request.user, self.product_id)
        except StripeNotConfigured as error:
            return _report_of(type(self)).denied(error)


class EntitlementRequiredMixin(AccessRequiredMixin):
    """Lets through users whose Stripe customer has the feature `lookup_key` (Stripe Entitlements), as the DRF
    permission `HasEntitlement` does."""

    lookup_key: str = ""

    def has_access(self, request: HttpRequest) -> bool:
        if not self.lookup_key:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a lookup_key: the feature it requires.")
        return has_entitlement(request.user, self.lookup_key)

    def get_permission_denied_message(self) -> str:
        return self.permission_denied_message or f"This needs the '{self.lookup_key}' feature."


_REPORTS: dict[type, MisconfigurationReport] = {}


def _report_of(view_class: type) -> MisconfigurationReport:
    """One report per view class: each logs its misconfiguration once."""
    return _REPORTS.setdefault(view_class, MisconfigurationReport(view_class.__qualname__))
