"""The REST API and the webhook endpoint: `path("api/", include("django_stripe.urls"))`."""

from django.urls import path

from .webhooks.views import webhook

urlpatterns: list = [
    path("webhook/", webhook, name="stripe-webhook"),
]
