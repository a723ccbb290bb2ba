"""The seed's import path for every view: `from django_stripe.views import StripeSubscriptionView, ...`."""

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

__all__ = [
    "StripeBillingPortalView",
    "StripeInvoiceView",
    "StripePaymentMethodView",
    "StripePriceCheckoutView",
    "StripePricesView",
    "StripeProductsView",
    "StripeSetupCheckoutView",
    "StripeSetupIntentView",
    "StripeSubscriptionView",
]
