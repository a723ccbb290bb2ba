"""The HTML side: redirects to Stripe's hosted pages, and the self-hosted checkout and subscription portal.

- `hosted.py`: a page with one button for each Stripe-hosted page (`GoToCheckoutView`,
  `GoToSetupCheckoutView`, `GoToBillingPortalView`).
- `checkout.py`: `SubscriptionPortalView` (URL name `subscription-portal`) shows the default product's
  prices, takes a card with Stripe Elements and subscribes through the REST API (`setup-intents`,
  `subscriptions`).
- `subscriptions.py`: `SubscriptionHistoryView` (`subscription-history`) shows the subscription, its payment
  method and invoices, and cancels, resumes or changes the card through the same API.
- `plan_changes.py`: `PlanChangeView` (`subscription-change`, with the subscription's id) lets the user pick
  a price and seats, shows what the change costs (due now, at the next renewal, when) and confirms it.
- `context.py` (what both pages show: Stripe.js, test mode, the country) and `prices.py` (amounts and prices).

Both self-hosted pages read the mirror only. Their templates live in `django_stripe/templates/django_stripe/`
and are made of blocks a project can override.
"""

from .checkout import SubscriptionPortalView
from .context import (
    STRIPE_JS,
    TEST_CARDS,
    PortalMixin,
    country_header_value,
    default_country,
    is_test_key,
    show_test_cards,
    stripe_js_url,
)
from .hosted import (
    GoToBillingPortalView,
    GoToCheckoutView,
    GoToSetupCheckoutView,
    HttpResponseSeeOther,
    StripeRedirectView,
    user_of,
)
from .plan_changes import PlanChangeView
from .prices import SYMBOLS, ZERO_DECIMAL, format_amount, format_interval, present_price
from .subscriptions import (
    STATUS_LABELS,
    SubscriptionHistoryView,
    present_card,
    present_invoice,
    present_scheduled_change,
    present_subscription,
    shown_items,
)

__all__ = [
    "STATUS_LABELS",
    "STRIPE_JS",
    "SYMBOLS",
    "TEST_CARDS",
    "ZERO_DECIMAL",
    "GoToBillingPortalView",
    "GoToCheckoutView",
    "GoToSetupCheckoutView",
    "HttpResponseSeeOther",
    "PlanChangeView",
    "PortalMixin",
    "StripeRedirectView",
    "SubscriptionHistoryView",
    "SubscriptionPortalView",
    "country_header_value",
    "default_country",
    "format_amount",
    "format_interval",
    "is_test_key",
    "present_card",
    "present_invoice",
    "present_price",
    "present_scheduled_change",
    "present_subscription",
    "show_test_cards",
    "shown_items",
    "stripe_js_url",
    "user_of",
]
