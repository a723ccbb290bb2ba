"""The baseline of the REST benchmark: the same lists answered the way the original design did, by calling
Stripe on every request (here the fake Stripe over HTTP); and the routes of its floor, the same lists from
the mirror by bare Django views (`benchmarks/bare_views.py`). Served with the example project by
`benchmarks.bench_settings`; never part of the package."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks import bare_views
from django_stripe.client import get_client
from django_stripe.sync.mappers import as_payload


class LiveProducts(APIView):
    def get(self, request):
        client = get_client()
        products = client.v1.products.list(params={"active": True, "limit": 100})
        subscriptions = client.v1.subscriptions.list(params={"customer": request.user.stripe_customer_id})
        subscribed = {item.price.product for sub in subscriptions for item in sub["items"]["data"]}
        listed = []
        for product in products:
            prices = client.v1.prices.list(params={"product": product.id, "active": True})
            listed.append(
                {
                    **as_payload(product),
                    "prices": [as_payload(p) for p in prices],
                    "subscribed": product.id in subscribed,
                }
            )
        return Response(listed)


class LivePrices(APIView):
    def get(self, request):
        client = get_client()
        prices = client.v1.prices.list(params={"active": True, "limit": 100})
        subscriptions = client.v1.subscriptions.list(params={"customer": request.user.stripe_customer_id})
        subscribed = {item.price.id for sub in subscriptions for item in sub["items"]["data"]}
        return Response([{**as_payload(price), "subscribed": price.id in subscribed} for price in prices])


class LivePaymentMethods(APIView):
    def get(self, request):
        client = get_client()
        customer = client.v1.customers.retrieve(request.user.stripe_customer_id)
        default = customer.invoice_settings.default_payment_method if customer.invoice_settings else None
        methods = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
        return Response([{**as_payload(method), "default": method.id == default} for method in methods])


class LiveSubscriptions(APIView):
    def get(self, request):
        subscriptions = get_client().v1.subscriptions.list(params={"customer": request.user.stripe_customer_id})
        return Response([as_payload(subscription) for subscription in subscriptions])


class LiveInvoices(APIView):
    def get(self, request):
        invoices = get_client().v1.invoices.list(params={"customer": request.user.stripe_customer_id})
        return Response([as_payload(invoice) for invoice in invoices])


urlpatterns = [
    path("", include("example_project.urls")),
    path("live/products/", LiveProducts.as_view()),
    path("live/subscriptions/", LiveSubscriptions.as_view()),
    path("live/invoices/", LiveInvoices.as_view()),
    path("live/prices/", LivePrices.as_view()),
    path("live/payment-methods/", LivePaymentMethods.as_view()),
    path("bare/products/", bare_views.products),
    path("bare/prices/", bare_views.prices),
    path("bare/subscriptions/", bare_views.subscriptions),
    path("bare/invoices/", bare_views.invoices),
    path("bare/payment-methods/", bare_views.payment_methods),
]
