"""An async view of a project's own, answering with every async read for the logged-in user: served by uvicorn
in tests/payments/test_async_reads.py. `request.user` is never touched on the loop (it would raise
SynchronousOnlyOperation there): each read loads it on the request's thread."""

from django.http import JsonResponse
from django.urls import path
from example_project.asgi_urls import urlpatterns as project_urlpatterns

from django_stripe.payments import async_reads


async def every_read(request):
    user, product = request.user, request.GET.get("product")
    subscriptions = await async_reads.asubscription_payloads(user, "all")
    info = await async_reads.ais_subscribed_and_cancelled_time(user, product)
    answers = {
        "is_subscribed": await async_reads.ais_subscribed(user, product),
        "is_subscribed_with_cache": await async_reads.ais_subscribed_with_cache(user, product),
        "sub_id": info["sub_id"],
        "has_entitlement": await async_reads.ahas_entitlement(user, request.GET.get("feature", "")),
        "subscriptions": [payload["id"] for payload in subscriptions],
        "invoices": [payload["id"] for payload in await async_reads.ainvoice_payloads(user)],
        "payment_methods": [payload["id"] for payload in await async_reads.apayment_method_payloads(user)],
        "products": [payload["id"] for payload in await async_reads.aget_products(user)],
        "prices": [payload["id"] for payload in await async_reads.aget_prices(user)],
    }
    return JsonResponse(answers)


urlpatterns = [path("async-reads/", every_read), *project_urlpatterns]
