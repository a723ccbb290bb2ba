import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from django_stripe.api.permissions import HasEntitlement, IsSubscribed
from django_stripe.signals import customer_subscriptions_changed
from django_stripe.testing.factories import ActiveEntitlementFactory, PricePayloadFactory, SubscriptionFactory
from tests.billables import create_user

pytestmark = pytest.mark.django_db


def view_with(permission):
    class View(APIView):
        permission_classes = [permission]

        def get(self, request):
            return Response({"ok": True})

    return View.as_view()


def status_for(view, user):
    request = APIRequestFactory().get("/")
    force_authenticate(request, user=user)
    return view(request).status_code


def test_is_subscribed_for_product():
    user = create_user("u", stripe_customer_id="cus_1")
    view = view_with(IsSubscribed.for_product("prod_pro"))
    assert status_for(view, user) == 403
    SubscriptionFactory(payload__customer="cus_1", payload__price=PricePayloadFactory(product="prod_pro"))
    customer_subscriptions_changed.send(sender=None, customer_id="cus_1")  # as the sync does
    assert status_for(view, user) == 200


def test_has_entitlement():
    user = create_user("u", stripe_customer_id="cus_1")
    view = view_with(HasEntitlement.for_feature("exports"))
    assert status_for(view, user) == 403
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_1")
    assert status_for(view, user) == 200
