"""The REST API, its OpenAPI schema and the webhook endpoint: `path("api/", include("django_stripe.urls"))`."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from .api import views
from .webhooks.views import webhook

OBJ_ID = r"(?:(?P<obj_id>[^/]+)/)?$"

urlpatterns = [
    re_path(rf"^products/{OBJ_ID}", views.StripeProductsView.as_view(), name="products"),
    re_path(rf"^prices/{OBJ_ID}", views.StripePricesView.as_view(), name="prices"),
    re_path(r"^checkout/(?P<price_id>[^/]+)/$", views.StripePriceCheckoutView.as_view(), name="checkout"),
    re_path(
        r"^setup-checkout/(?:(?P<subscription_id>[^/]+)/)?$",
        views.StripeSetupCheckoutView.as_view(),
        name="setup-checkout",
    ),
    path("billing/", views.StripeBillingPortalView.as_view(), name="billing"),
    path("setup-intents/", views.StripeSetupIntentView.as_view(), name="setup-intents"),
    re_path(rf"^invoices/{OBJ_ID}", views.StripeInvoiceView.as_view(), name="invoices"),
    re_path(rf"^payment-methods/{OBJ_ID}", views.StripePaymentMethodView.as_view(), name="payment-methods"),
    re_path(rf"^subscriptions/{OBJ_ID}", views.StripeSubscriptionView.as_view(), name="subscriptions"),
    path("schema/", SpectacularAPIView.as_view(), name="stripe-api-schema"),
    path("webhook/", webhook, name="stripe-webhook"),
]
