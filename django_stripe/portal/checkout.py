"""The self-hosted checkout (URL name `subscription-portal`): the default product's prices, a card taken
with Stripe Elements, and a subscription made through the REST API (`setup-intents`, `subscriptions`)."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from .. import payments
from ..conf import stripe_settings
from ..models import Product
from .context import PortalMixin
from .prices import present_price


class SubscriptionPortalView(PortalMixin, TemplateView):
    """The self-hosted checkout: pick one of the default product's prices, enter a card, subscribe."""

    template_name = "django_stripe/checkout.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.portal_context())
        product_id = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
        prices = [
            present_price(price)
            for price in payments.get_prices(self.billable, product=product_id)
            if price.get("type") == "recurring"
        ]
        wanted = self.request.GET.get("price")
        selected = next((p["id"] for p in prices if p["id"] == wanted), prices[0]["id"] if prices else None)
        # Without a default product there is no product to say the user is subscribed to (and no access check
        # to make: it would raise), so the prices are simply offered.
        subscription = payments.is_subscribed_and_cancelled_time(self.billable, product_id) if product_id else None
        context.update(
            product=Product.objects.live().filter(id=product_id).first() if product_id else None,
            prices=prices,
            selected_price=selected,
            subscription=subscription,
        )
        context["config"]["urls"]["success"] = context["history_url"]
        return context
