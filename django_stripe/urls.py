"""The REST API and the webhook endpoint: `path("api/", include("django_stripe.urls"))`."""

urlpatterns: list = []
