"""The example project's URLs under an ASGI server (asgi.py): the async webhook endpoint mounted before the
sync one that `django_stripe.urls` holds, at the same path and under the same name; the rest unchanged."""

from django.urls import path

from django_stripe.views import async_webhook

from .urls import urlpatterns as wsgi_urlpatterns

urlpatterns = [path("api/webhook/", async_webhook, name="stripe-webhook"), *wsgi_urlpatterns]
