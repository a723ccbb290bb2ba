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

# The portal's pages, mounted at the root and under a team's prefix (below).
portal = [
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

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("django_stripe.urls")),
    re_path(r"^api-auth/", include("rest_framework.urls")),
    # DJANGO_STRIPE_BILLABLE=team: the billing of the team in the URL (accounts/billing.py reads `team_id`), its
    # API and its pages; every link they make keeps the prefix. Without it, the user's current team (or the
    # `X-Team` header) is the one the unprefixed URLs act for.
    path("teams/<int:team_id>/billing/api/", include("django_stripe.urls")),
    path("teams/<int:team_id>/billing/", include(portal)),
    *portal,
]
