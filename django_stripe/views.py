"""The original import path for every view: `from django_stripe.views import StripeSubscriptionView, ...`.

The REST API views live in `django_stripe.api.views`, the HTML pages (hosted-page redirects, the
self-hosted checkout and subscription portal) in `django_stripe.portal`; the access mixins for your own views
(`SubscriptionRequiredMixin`, `EntitlementRequiredMixin`) in `django_stripe.payments`, beside
`subscription_required`; the webhook endpoint for ASGI servers, `async_webhook` (`django_stripe.urls` mounts the
sync one).
"""

from .api.views import (
    StripeBillingPortalView,
    StripeInvoiceView,
    StripePauseView,
    StripePaymentMethodView,
    StripePlanChangePreviewView,
    StripePlanChangeView,
    StripePriceCheckoutView,
    StripePricesView,
    StripeProductsView,
    StripeScheduledChangeView,
    StripeSetupCheckoutView,
    StripeSetupIntentView,
    StripeSubscriptionView,
    StripeUnpauseView,
    StripeUsageView,
)
from .payments import EntitlementRequiredMixin, SubscriptionRequiredMixin
from .portal import (
    GoToBillingPortalView,
    GoToCheckoutView,
    GoToSetupCheckoutView,
    PlanChangeView,
    SubscriptionHistoryView,
    SubscriptionPortalView,
)
from .webhooks.async_views import async_webhook

__all__ = [
    "EntitlementRequiredMixin",
    "GoToBillingPortalView",
    "GoToCheckoutView",
    "GoToSetupCheckoutView",
    "PlanChangeView",
    "StripeBillingPortalView",
    "StripeInvoiceView",
    "StripePauseView",
    "StripePaymentMethodView",
    "StripePlanChangePreviewView",
    "StripePlanChangeView",
    "StripePriceCheckoutView",
    "StripePricesView",
    "StripeProductsView",
    "StripeSetupCheckoutView",
    "StripeScheduledChangeView",
    "StripeSetupIntentView",
    "StripeSubscriptionView",
    "StripeUnpauseView",
    "StripeUsageView",
    "SubscriptionHistoryView",
    "SubscriptionRequiredMixin",
    "SubscriptionPortalView",
    "async_webhook",
]
