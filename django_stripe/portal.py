"""The HTML side: redirects to Stripe's hosted pages, and the self-hosted checkout and subscription portal.

`SubscriptionPortalView` (URL name `subscription-portal`) shows the default product's prices, takes a card
with Stripe Elements and subscribes through the REST API (`setup-intents`, `subscriptions`);
`SubscriptionHistoryView` (`subscription-history`) shows the subscription, its payment method and invoices,
and cancels, resumes or changes the card through the same API. Both read the mirror only. Their templates
live in `django_stripe/templates/django_stripe/` and are made of blocks a project can override.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject, empty
from django.views import View
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from . import payments
from .conf import DEFAULTS, stripe_settings
from .countries import CODES, COUNTRIES
from .exceptions import StripeWrongCustomer
from .models import Invoice, Product, Subscription
from .models.billing import ENDED_STATUSES
from .payments.access import customer_id_of
from .payments.mirror import owned

logger = logging.getLogger(__name__)

STRIPE_JS = "https://js.stripe.com/v3/"
# Stripe's zero-decimal currencies: amounts are whole units.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}
STATUS_LABELS = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Past due",
    "unpaid": "Unpaid",
    "incomplete": "Incomplete",
    "incomplete_expired": "Expired",
    "canceled": "Cancelled",
    "paused": "Paused",
}
TEST_CARDS = (
    ("4242 4242 4242 4242", "Succeeds"),
    ("4000 0000 0000 0002", "Declined"),
    ("4000 0000 0000 9995", "Declined: insufficient funds"),
)


def user_of(request: HttpRequest) -> Any:
    """The user object itself: `request.user` is a lazy proxy, and django_stripe.payments needs the model
    instance (it locks its row and sends signals with its class)."""
    user = request.user
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


# -- redirects to Stripe's hosted pages -------------------------------------------------------------------------


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET whatever the method of the form that led here."""

    status_code = 303


@method_decorator(csrf_protect, name="dispatch")  # the CSRF check even where a project left the middleware out
@method_decorator(xframe_options_deny, name="dispatch")  # the button cannot be pressed through a hidden frame
class StripeRedirectView(LoginRequiredMixin, View):
    """A page with one button that opens a Stripe-hosted page for the logged-in user.

    GET shows the button and creates nothing. POST (with Django's CSRF token) creates the Stripe session and
    redirects (303) to its `url`. Creating a session is a write at Stripe, and the first one also creates
    the user's customer: on GET, a cross-site `<img src>` or a link prefetch would do it in the user's name.
    When Stripe fails, the user sees its message on a small error page (status 502) instead of a server error.
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
            "portal_url": _optional_url("subscription-portal"),
            "history_url": _optional_url("subscription-history"),
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
        price = present_price(payments.retrieve_price(user_of(request), price_id))
        return {**super().page_context(request, **kwargs), "price": price}

    def create_session(self, request: HttpRequest, price_id: str = "", **kwargs: Any) -> Any:
        return payments.create_subscription_checkout(user_of(request), price_id)


class GoToSetupCheckoutView(StripeRedirectView):
    """Stripe Checkout in setup mode: save a new card, optionally for one of the user's subscriptions
    (`subscription_id`, kept in the setup intent's metadata). URL name `go-to-setup-checkout`."""

    heading = "Add a payment method"
    explanation = "You will enter your card on a secure page hosted by Stripe."
    button_label = "Continue to add a card"

    def create_session(self, request: HttpRequest, subscription_id: str | None = None, **kwargs: Any) -> Any:
        extra: dict[str, Any] = {}
        if subscription_id:
            try:
                owned(user_of(request), Subscription, subscription_id)
            except StripeWrongCustomer as error:
                raise Http404(str(error)) from None
            extra["setup_intent_data"] = {"metadata": {"subscription_id": subscription_id}}
        return payments.create_setup_checkout(user_of(request), **extra)


class GoToBillingPortalView(StripeRedirectView):
    """The Stripe Billing Portal for the user's customer (URL name `go-to-billing-portal`)."""

    heading = "Manage billing"
    explanation = "You will manage your subscription, payment methods and invoices on a page hosted by Stripe."
    button_label = "Continue to billing"

    def create_session(self, request: HttpRequest, **kwargs: Any) -> Any:
        return payments.create_billing_portal(user_of(request))


# -- the self-hosted checkout and portal --------------------------------------------------------------------------


def stripe_js_url() -> str:
    """Where the pages load Stripe.js from: STRIPE_JS_URL, else the fake Stripe's stand-in when STRIPE_API_BASE
    points somewhere other than Stripe (`<STRIPE_API_BASE>/v3/`), else Stripe's own."""
    if stripe_settings.STRIPE_JS_URL:
        return stripe_settings.STRIPE_JS_URL
    base = stripe_settings.STRIPE_API_BASE
    if base and "api.stripe.com" not in base:
        return base.rstrip("/") + "/v3/"
    return STRIPE_JS


def is_test_key(publishable_key: str | None) -> bool:
    return bool(publishable_key) and publishable_key.startswith("pk_test_")


def show_test_cards(publishable_key: str | None) -> bool:
    """Test card hints: in dev mode, and never with a live key."""
    return stripe_settings.STRIPE_CHECKOUT_DEV_MODE and is_test_key(publishable_key)


def default_country(request: HttpRequest) -> str:
    """The billing country to preselect: COUNTRY_HEADER's value when it is a country, else
    STRIPE_CHECKOUT_DEFAULT_COUNTRY when it is one, else the setting's default (US)."""
    for candidate in (country_header_value(request), stripe_settings.STRIPE_CHECKOUT_DEFAULT_COUNTRY):
        code = str(candidate or "").strip().upper()
        if code in CODES:
            return code
    return DEFAULTS["STRIPE_CHECKOUT_DEFAULT_COUNTRY"]


def country_header_value(request: HttpRequest) -> str | None:
    """COUNTRY_HEADER's value in this request. Its documented value is as a META key (`HTTP_CF_IPCOUNTRY`);
    a project may as well write the header's own name (`CF-IPCountry`), which only `request.headers` finds."""
    header = stripe_settings.COUNTRY_HEADER
    if not header:
        return None
    return request.META.get(header) or request.headers.get(header)


def format_amount(amount: int | None, currency: str | None) -> str:
    """Minor units as a price: `1000, "usd"` -> `$10.00`; zero-decimal currencies are whole units."""
    if amount is None:
        return ""
    currency = (currency or "").lower()
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}".strip()


def format_interval(recurring: dict[str, Any] | None) -> str:
    """`{"interval": "month", "interval_count": 3}` -> `every 3 months`; monthly -> `month`."""
    if not recurring or not recurring.get("interval"):
        return ""
    interval, count = recurring["interval"], int(recurring.get("interval_count") or 1)
    return interval if count == 1 else f"{count} {interval}s"


def present_price(price: dict[str, Any]) -> dict[str, Any]:
    """What a price card shows, from a price payload (with `subscription_info` when listed for a user)."""
    metadata = price.get("metadata") or {}
    interval = format_interval(price.get("recurring"))
    amount = format_amount(price.get("unit_amount"), price.get("currency"))
    return {
        "id": price["id"],
        "header": metadata.get("price_header") or price.get("nickname") or "",
        "amount": amount,
        "interval": interval,
        "label": f"{amount} / {interval}" if interval else amount,
        "additional_info": metadata.get("additional_info", ""),
        "more_additional_info": metadata.get("more_additional_info", ""),
        "currency": (price.get("currency") or "").upper(),
        "subscribed": bool((price.get("subscription_info") or {}).get("subscribed")),
    }


def _optional_url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class PortalMixin(LoginRequiredMixin):
    """What both pages share: the title, Stripe.js, the publishable key and the API URLs for the script."""

    request: HttpRequest

    def portal_context(self) -> dict[str, Any]:
        publishable_key = stripe_settings.STRIPE_PUBLISHABLE_KEY
        hide_postal_code = stripe_settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE
        urls = {
            "setupIntents": reverse("setup-intents"),
            "subscriptions": reverse("subscriptions"),
            "history": _optional_url("subscription-history"),
            "portal": _optional_url("subscription-portal"),
        }
        return {
            "title": stripe_settings.STRIPE_CHECKOUT_TITLE,
            "publishable_key": publishable_key,
            "stripe_js_url": stripe_js_url(),
            "test_mode": is_test_key(publishable_key),
            "show_test_cards": show_test_cards(publishable_key),
            "test_cards": TEST_CARDS,
            "hide_postal_code": hide_postal_code,
            "countries": COUNTRIES,
            "country": default_country(self.request),
            "billing_name": _full_name(self.request.user),
            "history_url": urls["history"],
            "portal_url": urls["portal"],
            "billing_portal_url": _optional_url("go-to-billing-portal"),
            "config": {
                "publishableKey": publishable_key,
                "hidePostalCode": hide_postal_code,
                "urls": urls,
            },
        }


class SubscriptionPortalView(PortalMixin, TemplateView):
    """The self-hosted checkout: pick one of the default product's prices, enter a card, subscribe."""

    template_name = "django_stripe/checkout.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.portal_context())
        product_id = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
        prices = [
            present_price(price)
            for price in payments.get_prices(self.request.user, product=product_id)
            if price.get("type") == "recurring"
        ]
        wanted = self.request.GET.get("price")
        selected = next((p["id"] for p in prices if p["id"] == wanted), prices[0]["id"] if prices else None)
        context.update(
            product=Product.objects.live().filter(id=product_id).first() if product_id else None,
            prices=prices,
            selected_price=selected,
            subscription=payments.is_subscribed_and_cancelled_time(self.request.user, product_id),
        )
        context["config"]["urls"]["success"] = context["history_url"]
        return context


class SubscriptionHistoryView(PortalMixin, TemplateView):
    """The user's subscription (status, renewal or end date, card), past subscriptions and invoices; cancel
    at period end, resume, and change the card."""

    template_name = "django_stripe/subscriptions.html"
    invoice_limit = 24

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.portal_context())
        customer_id = customer_id_of(self.request.user) or ""
        cards = {pm["id"]: present_card(pm) for pm in payments.list_payment_methods(self.request.user)}
        default_card = next((card for card in cards.values() if card["default"]), None)
        rows = list(
            Subscription.objects.of_key_mode()
            .filter(customer_id=customer_id)
            .prefetch_related("items")
            .order_by("-created")
        )
        products = dict(
            Product.objects.filter(id__in={item.product_id for row in rows for item in row.items.all()}).values_list(
                "id", "name"
            )
        )
        subscriptions = [present_subscription(row, products, cards, default_card) for row in rows]
        current = next((s for s in subscriptions if not s["ended"]), None)
        invoices = Invoice.objects.live().filter(customer_id=customer_id).order_by("-created", "-id")
        context.update(
            subscription=current,
            past_subscriptions=[s for s in subscriptions if s is not current],
            payment_method=(current and current["payment_method"]) or default_card,
            invoices=[present_invoice(row) for row in invoices[: self.invoice_limit]],
        )
        return context


def _full_name(user: Any) -> str:
    return (user.get_full_name() if hasattr(user, "get_full_name") else "") or ""


def present_card(payment_method: stripe.PaymentMethod | dict[str, Any]) -> dict[str, Any]:
    # payments.list_payment_methods answers Stripe's objects (with a `default` flag), which are not dicts.
    if isinstance(payment_method, stripe.StripeObject):
        payment_method = payment_method.to_dict()
    card = payment_method.get("card") or {}
    return {
        "id": payment_method["id"],
        "brand": (card.get("display_brand") or card.get("brand") or payment_method.get("type") or "").replace("_", " "),
        "last4": card.get("last4", ""),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "default": bool(payment_method.get("default")),
    }


def present_subscription(
    row: Subscription, products: dict[str, str], cards: dict[str, dict[str, Any]], default_card: dict | None
) -> dict[str, Any]:
    items = shown_items(row)
    price = (items[0].stripe_data.get("price") if items else None) or {}
    if not isinstance(price, dict):
        price = {}
    ended = row.ended
    ends_at = row.cancel_at or (row.current_period_end if row.cancel_at_period_end else None)
    payment_method_id = row.default_payment_method_id
    return {
        "id": row.id,
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status.replace("_", " ").capitalize()),
        "product_name": products.get(items[0].product_id, "") if items else "",
        "price": present_price({"id": price.get("id", ""), **price}) if price else None,
        "quantity": items[0].quantity if items else None,
        "created": row.created,
        "current_period_end": row.current_period_end,
        "trial_end": row.trial_end if row.status == "trialing" else None,
        "cancel_at_period_end": row.cancel_at_period_end,
        "ends_at": None if ended else ends_at,
        "renews_at": None if ended or ends_at else row.current_period_end,
        "ended_at": (row.ended_at or row.canceled_at) if ended else None,
        "ended": ended,
        "can_cancel": not ended and not ends_at and row.status not in ENDED_STATUSES,
        "can_resume": not ended and bool(row.cancel_at_period_end),
        "payment_method": cards.get(payment_method_id) if payment_method_id else default_card,
    }


def shown_items(row: Subscription) -> list[Any]:
    """The items a subscription is described by: its live ones; for one that ended, whose items were
    tombstoned with it, the ones it ended with (else the page could not say what it was)."""
    items = list(row.items.all())
    live = [item for item in items if not item.deleted]
    if live or not row.ended:
        return live
    listed = ((row.stripe_data or {}).get("items") or {}).get("data") or []
    ended_with = {item.get("id") for item in listed if isinstance(item, dict)}
    return [item for item in items if item.id in ended_with] or items


def present_invoice(row: Invoice) -> dict[str, Any]:
    data = row.stripe_data
    return {
        "id": row.id,
        "number": row.number or row.id,
        "created": row.created,
        "status": row.status or "",
        "amount": format_amount(row.amount_due if row.amount_paid in (None, 0) else row.amount_paid, row.currency),
        "hosted_invoice_url": data.get("hosted_invoice_url"),
        "invoice_pdf": data.get("invoice_pdf"),
    }
