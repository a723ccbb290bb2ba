from accounts.views import report_api_calls
from django.contrib import admin
from django.urls import include, path, re_path

from django_stripe.views import (
    GoToBillingPortalView,
    GoToCheckoutView,
    GoToSetupCheckoutView,
    PlanChangeView,
    SubscriptionHistoryView,
    SubscriptionPortalView,
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("django_stripe.urls")),
    re_path(r"^api-auth/", include("rest_framework.urls")),
    path("checkout/<str:price_id>/", GoToCheckoutView.as_view(), name="go-to-checkout"),
    path("setup-checkout/", GoToSetupCheckoutView.as_view(), name="go-to-setup-checkout"),
    path("setup-checkout/<str:subscription_id>/", GoToSetupCheckoutView.as_view(), name="go-to-setup-checkout"),
    path("billing-portal/", GoToBillingPortalView.as_view(), name="go-to-billing-portal"),
    path(
        "subscriptions/",
        SubscriptionHistoryView.as_view(template_name="accounts/subscriptions.html"),  # with the usage button
        name="subscription-history",
    ),
    path("demo/api-calls/", report_api_calls, name="demo-report-api-calls"),
    path("subscriptions/<str:subscription_id>/change/", PlanChangeView.as_view(), name="subscription-change"),
    path("", SubscriptionPortalView.as_view(), name="subscription-portal"),
]
