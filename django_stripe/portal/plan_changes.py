"""The plan change page (URL name `subscription-change`, with the subscription's id): pick a price and a number of
seats, see what the change costs before confirming it (due now, at the next renewal, and when), confirm.

GET with `?price=...&quantity=...` shows Stripe's preview (`payments.preview_change`) and changes nothing; POST
(with Django's CSRF token) makes the change (`payments.change_plan`: an upgrade now, paid now; a downgrade at the
renewal) and sends the user back to their subscription page. Another user's subscription is a 404, as a missing
one; a refusal (a price no longer for sale, a declined card) is shown on the page.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from .. import payments
from ..conf import stripe_settings
from ..exceptions import StripeObjectNotFound, StripeRequestRefused, StripeWrongCustomer
from ..models import Subscription
from .context import PortalMixin, optional_url
from .prices import format_amount, present_price

MAX_QUANTITY = 10_000  # as the REST API takes it


@method_decorator(csrf_protect, name="dispatch")
class PlanChangeView(PortalMixin, TemplateView):
    """Change the plan of one of the user's subscriptions: the prices of its product (and of the default
    product), a preview of the chosen change, and a button to confirm it."""

    template_name = "django_stripe/change_plan.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.portal_context())
        row = self.subscription()
        item = row.items.filter(deleted=False).first()
        current = {"price": item.price_id if item else None, "quantity": (item.quantity if item else None) or 1}
        price, quantity = self.request.GET.get("price") or None, _quantity(self.request.GET.get("quantity"))
        context.update(
            subscription_id=row.id,
            current=current,
            prices=self.choices(item.product_id if item else None),
            chosen={"price": price or current["price"], "quantity": quantity or current["quantity"]},
            history_url=optional_url(self.request, "subscription-history"),
        )
        if price or quantity:
            context.update(self.preview(row.id, price, quantity))
        return context

    def post(self, request: HttpRequest, subscription_id: str, **kwargs: Any) -> HttpResponse:
        self.subscription()
        price, quantity = request.POST.get("price") or None, _quantity(request.POST.get("quantity"))
        try:
            payments.change_plan(self.billable, subscription_id, price=price, quantity=quantity)
        except (StripeRequestRefused, StripeObjectNotFound, stripe.StripeError) as error:
            context = self.get_context_data(subscription_id=subscription_id)
            context["error"] = _message(error)
            return self.render_to_response(context, status=400)
        return redirect(optional_url(request, "subscription-history") or request.path)

    def subscription(self) -> Subscription:
        """The user's own subscription of the URL; anyone else's answers 404, as a missing one."""
        try:
            return payments.find_owned_row(
                self.billable, Subscription, self.kwargs["subscription_id"], fetch_missing=False
            )
        except StripeWrongCustomer as error:
            raise Http404(str(error)) from None

    def choices(self, product_id: str | None) -> list[dict[str, Any]]:
        """The recurring prices the user may move to: of the subscription's product and the default product."""
        products = {product_id, stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID} - {None}
        prices = [
            price for product in sorted(products) for price in payments.get_prices(self.billable, product=product)
        ]
        return [present_price(price) for price in prices if price.get("type") == "recurring"]

    def preview(self, subscription_id: str, price: str | None, quantity: int | None) -> dict[str, Any]:
        """The preview of the chosen change, as the page shows it, or the reason there is none."""
        try:
            preview = payments.preview_change(self.billable, subscription_id, price=price, quantity=quantity)
        except (StripeRequestRefused, StripeObjectNotFound, stripe.StripeError) as error:
            return {"error": _message(error)}
        return {
            "preview": {
                "due_now": format_amount(preview.due_now, preview.currency),
                "next_renewal": format_amount(preview.next_renewal, preview.currency),
                "at_renewal": preview.at_renewal,
                "is_downgrade": preview.is_downgrade,
                "waits_for_renewal": preview.is_downgrade and stripe_settings.STRIPE_DOWNGRADE_AT == "period_end",
            }
        }


def _quantity(value: str | None) -> int | None:
    """A quantity from the page's form: a whole number from 1 to MAX_QUANTITY, else none asked for."""
    try:
        quantity = int(value or "")
    except ValueError:
        return None
    return quantity if 1 <= quantity <= MAX_QUANTITY else None


def _message(error: Exception) -> str:
    """What the user reads of a refusal: the library's own message, Stripe's user-facing one for a card."""
    if isinstance(error, stripe.StripeError):
        return error.user_message or "Stripe could not make this change. Please try again."
    return str(error)
