"""The public function API: `from django_stripe.payments import is_subscribed, create_subscription, ...`.

Reads answer from the mirror; writes go through the Stripe SDK after an ownership check and are mirrored
before they return.
"""

from ..references import checkout_reference
from .access import (
    FREE,
    SubscriptionInfoWithEvaluation,
    customer_id_of,
    has_entitlement,
    is_subscribed,
    is_subscribed_and_cancelled_time,
    is_subscribed_with_cache,
    subscription_required,
)
from .billing_portal import create_billing_portal
from .catalog import get_prices, get_products, retrieve_price, retrieve_product
from .checkout import (
    create_checkout,
    create_setup_checkout,
    create_setup_intent,
    create_subscription_checkout,
)
from .customers import add_stripe_customer_if_not_existing, create_customer, modify_customer
from .generic import delete, list_customer_resource, modify, retrieve
from .lists import invoice_payloads, subscription_payloads
from .mirror import owned, remember
from .mixins import EntitlementRequiredMixin, SubscriptionRequiredMixin
from .payment_methods import (
    detach_all_payment_methods,
    detach_payment_method,
    list_payment_methods,
    modify_payment_method,
    payment_method_payloads,
    retrieve_payment_method,
)
from .subscriptions import (
    cancel_subscription,
    cancel_subscription_at_period_end,
    cancel_subscription_for_product,
    change_subscription_quantity,
    create_subscription,
    item_change,
    modify_subscription,
    resume_subscription,
    swap_subscription_price,
)

__all__ = [
    "FREE",
    "EntitlementRequiredMixin",
    "SubscriptionInfoWithEvaluation",
    "SubscriptionRequiredMixin",
    "add_stripe_customer_if_not_existing",
    "cancel_subscription",
    "cancel_subscription_at_period_end",
    "cancel_subscription_for_product",
    "change_subscription_quantity",
    "checkout_reference",
    "create_billing_portal",
    "create_checkout",
    "create_customer",
    "create_setup_checkout",
    "create_setup_intent",
    "create_subscription",
    "create_subscription_checkout",
    "customer_id_of",
    "delete",
    "detach_all_payment_methods",
    "detach_payment_method",
    "get_prices",
    "get_products",
    "has_entitlement",
    "invoice_payloads",
    "is_subscribed",
    "is_subscribed_and_cancelled_time",
    "is_subscribed_with_cache",
    "item_change",
    "list_customer_resource",
    "list_payment_methods",
    "modify",
    "modify_customer",
    "modify_payment_method",
    "modify_subscription",
    "owned",
    "payment_method_payloads",
    "remember",
    "resume_subscription",
    "retrieve",
    "retrieve_payment_method",
    "retrieve_price",
    "retrieve_product",
    "subscription_payloads",
    "subscription_required",
    "swap_subscription_price",
]
