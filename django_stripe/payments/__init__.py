"""The public function API: `from django_stripe.payments import is_subscribed, create_subscription, ...`."""

from .access import (
    FREE,
    SubscriptionInfoWithEvaluation,
    has_entitlement,
    is_subscribed,
    is_subscribed_and_cancelled_time,
    is_subscribed_with_cache,
    subscription_required,
)
from .catalog import get_prices, get_products, retrieve_price, retrieve_product

__all__ = [
    "FREE",
    "SubscriptionInfoWithEvaluation",
    "get_prices",
    "get_products",
    "has_entitlement",
    "is_subscribed",
    "is_subscribed_and_cancelled_time",
    "is_subscribed_with_cache",
    "retrieve_price",
    "retrieve_product",
    "subscription_required",
]
