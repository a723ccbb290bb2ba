"""The REST API, its OpenAPI schema (with Swagger UI and Redoc over it) and the webhook endpoint:
`path("api/", include("django_stripe.urls"))`."""

from django.urls import path

from .api import views
from .api.schema import StripeRedocView, StripeSchemaView, StripeSwaggerView
from .webhooks.views import webhook


def resource(prefix: str, view, name: str) -> list:
    """A list URL and an instance URL served by one view, under one name."""
    return [path(f"{prefix}/", view, name=name), path(f"{prefix}/<str:obj_id>/", view, name=name)]


urlpatterns = [
    *resource("products", views.StripeProductsView.as_view(), "products"),
    *resource("prices", views.StripePricesView.as_view(), "prices"),
    path("checkout/<str:price_id>/", views.StripePriceCheckoutView.as_view(), name="checkout"),
    path("setup-checkout/", views.StripeSetupCheckoutView.as_view(), name="setup-checkout"),
    path("setup-checkout/<str:subscription_id>/", views.StripeSetupCheckoutView.as_view(), name="setup-checkout"),
    path("billing/", views.StripeBillingPortalView.as_view(), name="billing"),
    path("setup-intents/", views.StripeSetupIntentView.as_view(), name="setup-intents"),
    *resource("invoices", views.StripeInvoiceView.as_view(), "invoices"),
    path("usage/", views.StripeUsageView.as_view(), name="usage"),
    *resource("payment-methods", views.StripePaymentMethodView.as_view(), "payment-methods"),
    *resource("subscriptions", views.StripeSubscriptionView.as_view(), "subscriptions"),
    path(
        "subscriptions/<str:obj_id>/preview/", views.StripePlanChangePreviewView.as_view(), name="subscription-preview"
    ),
    path("subscriptions/<str:obj_id>/change/", views.StripePlanChangeView.as_view(), name="subscription-change"),
    path(
        "subscriptions/<str:obj_id>/scheduled-change/",
        views.StripeScheduledChangeView.as_view(),
        name="subscription-scheduled-change",
    ),
    path("subscriptions/<str:obj_id>/pause/", views.StripePauseView.as_view(), name="subscription-pause"),
    path("subscriptions/<str:obj_id>/unpause/", views.StripeUnpauseView.as_view(), name="subscription-unpause"),
    path("schema/", StripeSchemaView.as_view(), name="stripe-api-schema"),
    path("schema/swagger/", StripeSwaggerView.as_view(), name="stripe-api-swagger"),
    path("schema/redoc/", StripeRedocView.as_view(), name="stripe-api-redoc"),
    path("webhook/", webhook, name="stripe-webhook"),
]
