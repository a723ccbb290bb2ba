"""Pages with one button that send the logged-in user to a Stripe-hosted page: Checkout, Checkout in setup
mode, the Billing Portal."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject, empty
from django.views import View
from django.views.decorators.csrf import csrf_protect

from .. import payments
from ..conf import stripe_settings
from ..exceptions import StripeWrongCustomer
from .acting import ActsForBillableMixin
from .context import FramingDeniedMixin, is_test_key, optional_url
from .prices import present_price

# The name the package's logger had before the portal was split into modules: projects configure it.
logger = logging.getLogger("django_stripe.portal")


def user_of(request: HttpRequest) -> Any:
    """The user object itself: `request.user` is a lazy proxy, and django_stripe.payments needs the model
    instance (it locks its row and sends signals with its class)."""
    user = request.user
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET whatever the method of the form that led here."""

    status_code = 303


@method_decorator(csrf_protect, name="dispatch")  # the CSRF check even where a project left the middleware out
class StripeRedirectView(FramingDeniedMixin, LoginRequiredMixin, ActsForBillableMixin, View):
    """A page with one button that opens a Stripe-hosted page for the billable the request acts for.

    GET shows the button and creates nothing. POST (with Django's CSRF token) creates the Stripe session and
    redirects (303) to its `url`. Creating a session is a write at Stripe, and the first one also creates
    the user's customer: on GET, a cross-site `<img src>` or a link prefetch would do it in the user's name.
    When Stripe fails, the user sees its message on a small error page (status 502) instead of a server error.
    No page is shown in another site's frame, so the button cannot be pressed through a hidden one. A member
    who may only read sees the page without its button, and a POST answers 403 (see acting.py).
    """

    template_name = "django_stripe/go_to.html"
    error_template_name = "django_stripe/error.html"
    heading = "Continue to Stripe"
    explanation = "You will continue on a secure page hosted by Stripe."
    button_label = "Continue"

    def create_session(self, request: HttpRequest, **kwargs: Any) -> Any:
        raise NotImplementedError

    def page_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        """What the page with the button shows. Read from the mirror only: a GET makes no call to Stripe."""
        return {
            "title": stripe_settings.STRIPE_CHECKOUT_TITLE,
            "heading": self.heading,
            "explanation": self.explanation,
            "button_label": self.button_label,
            "action_url": request.path,
            "test_mode": is_test_key(stripe_settings.STRIPE_PUBLISHABLE_KEY),
            "portal_url": optional_url(request, "subscription-portal"),
            "history_url": optional_url(request, "subscription-history"),
            "can_manage": self.can_manage,
        }

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, self.page_context(request, **kwargs))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            session = self.create_session(request, **kwargs)
        except stripe.StripeError as error:
            logger.warning("Stripe refused a hosted page session: %s", type(error).__name__)
            message = error.user_message or "Stripe could not open this page. Please try again shortly."
            context = {"title": stripe_settings.STRIPE_CHECKOUT_TITLE, "message": message}
            return render(request, self.error_template_name, context, status=502)
        return HttpResponseSeeOther(session.url)


class GoToCheckoutView(StripeRedirectView):
    """Stripe Checkout subscribing the user to `price_id` (URL name `go-to-checkout`)."""

    heading = "Subscribe"
    explanation = "You will enter your payment details on a secure checkout page hosted by Stripe."
    button_label = "Continue to checkout"

    def page_context(self, request: HttpRequest, price_id: str = "", **kwargs: Any) -> dict[str, Any]:
        # The mirror's price (an unknown one is a 404 already here), so the user sees what they subscribe to.
        price = present_price(payments.retrieve_price(self.billable, price_id))
        return {**super().page_context(request, **kwargs), "price": price}

    def create_session(self, request: HttpRequest, price_id: str = "", **kwargs: Any) -> Any:
        return payments.create_subscription_checkout(self.billable, price_id)


class GoToSetupCheckoutView(StripeRedirectView):
    """Stripe Checkout in setup mode: save a new card, optionally for one of the user's subscriptions
    (`subscription_id`, kept in the setup intent's metadata). URL name `go-to-setup-checkout`."""

    heading = "Add a payment method"
    explanation = "You will enter your card on a secure page hosted by Stripe."
    button_label = "Continue to add a card"

    def create_session(self, request: HttpRequest, subscription_id: str | None = None, **kwargs: Any) -> Any:
        try:
            return payments.create_payment_method_checkout(self.billable, subscription_id)
        except StripeWrongCustomer as error:
            raise Http404(str(error)) from None


class GoToBillingPortalView(StripeRedirectView):
    """The Stripe Billing Portal for the user's customer (URL name `go-to-billing-portal`)."""

    heading = "Manage billing"
    explanation = "You will manage your subscription, payment methods and invoices on a page hosted by Stripe."
    button_label = "Continue to billing"

    def create_session(self, request: HttpRequest, **kwargs: Any) -> Any:
        return payments.create_billing_portal(self.billable)
