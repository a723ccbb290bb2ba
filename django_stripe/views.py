"""The original import path for every view: `from django_stripe.views import StripeSubscriptionView, ...`.

The REST API views live in `django_stripe.api.views`, the HTML pages (hosted-page redirects, the
self-hosted checkout and subscription portal) in `django_stripe.portal`; the access mixins for your own views
(`SubscriptionRequiredMixin`, `EntitlementRequiredMixin`) in `django_stripe.payments`, beside
`subscription_required`.
"""

from .api.views import (
    StripeBillingPortalView,
    StripeInvoiceView,
    StripePaymentMethodView,
    StripePriceCheckoutView,
    StripePricesView,
    StripeProductsView,
    StripeSetupCheckoutView,
    StripeSetupIntentView,
    StripeSubscriptionView,
)
from .payments import EntitlementRequiredMixin, SubscriptionRequiredMixin
from .portal import (
    GoToBillingPortalView,
    GoToCheckoutView,
    GoToSetupCheckoutView,
    SubscriptionHistoryView,
    SubscriptionPortalView,
)

__all__ = [
    "EntitlementRequiredMixin",
    "GoToBillingPortalView",
    "GoToCheckoutView",
    "GoToSetupCheckoutView",
    "StripeBillingPortalView",
    "StripeInvoiceView",
    "StripePaymentMethodView",
    "StripePriceCheckoutView",
    "StripePricesView",
    "StripeProductsView",
    "StripeSetupCheckoutView",
    "StripeSetupIntentView",
    "StripeSubscriptionView",
    "SubscriptionHistoryView",
    "SubscriptionRequiredMixin",
    "SubscriptionPortalView",
]
