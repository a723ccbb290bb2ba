"""The public function API: `from django_stripe.payments import is_subscribed, create_subscription, ...`.

Reads answer from the mirror; writes go through the Stripe SDK after an ownership check and are mirrored
before they return.

What pays is a billable, a row of STRIPE_BILLABLE_MODEL (the user model by default): every function that takes a
user takes a billable (a team) in its place, and a user still works unchanged; ownership goes by the
billable's customer. The access checks also answer for a user through the billables they belong to
(STRIPE_BILLABLE_MEMBERS; see member_access.py).

Old names kept: `retrieve`, `modify` and `delete` are aliases of `retrieve_customer_object`,
`modify_customer_object` and `delete_customer_object` (still in `__all__`); `owned` and `remember`, of
`find_owned_row` and `mirror_stripe_object`, are importable but no longer listed in `__all__`.
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
from .async_reads import (
    aget_prices,
    aget_products,
    ahas_entitlement,
    ainvoice_payloads,
    ais_subscribed,
    ais_subscribed_and_cancelled_time,
    ais_subscribed_with_cache,
    apayment_method_payloads,
    asubscription_payloads,
)
from .billing_portal import create_billing_portal
from .checkout import (
    create_checkout,
    create_setup_checkout,
    create_setup_intent,
    create_subscription_checkout,
)
from .customers import add_stripe_customer_if_not_existing, create_customer, modify_customer
from .generic import (
    delete,
    delete_customer_object,
    list_customer_resource,
    modify,
    modify_customer_object,
    retrieve,
    retrieve_customer_object,
)
from .lists import invoice_payloads, subscription_payloads
from .meter_usage import Usage, refresh_usage, usage, usage_this_period
from .mirror import find_owned_row, mirror_stripe_object
from .mirror import owned as owned  # the old names, re-exported, out of __all__
from .mirror import remember as remember
from .mixins import EntitlementRequiredMixin, SubscriptionRequiredMixin
from .pauses import pause_subscription, unpause_subscription
from .payment_methods import (
    detach_all_payment_methods,
    detach_payment_method,
    list_payment_methods,
    modify_payment_method,
    payment_method_payloads,
    retrieve_payment_method,
)
from .previews import ChangePreview, preview_change
from .products import get_prices, get_products, retrieve_price, retrieve_product
from .promotion_codes import check_promotion_code, promotion_codes_allowed
from .scheduled_changes import cancel_scheduled_change, change_plan
from .self_service import change_subscription, create_payment_method_checkout, subscribe
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
from .usage_reports import report_usage

__all__ = [
    "FREE",
    "ChangePreview",
    "EntitlementRequiredMixin",
    "SubscriptionInfoWithEvaluation",
    "SubscriptionRequiredMixin",
    "Usage",
    "add_stripe_customer_if_not_existing",
    "aget_prices",
    "aget_products",
    "ahas_entitlement",
    "ainvoice_payloads",
    "ais_subscribed",
    "ais_subscribed_and_cancelled_time",
    "ais_subscribed_with_cache",
    "apayment_method_payloads",
    "asubscription_payloads",
    "cancel_scheduled_change",
    "cancel_subscription",
    "cancel_subscription_at_period_end",
    "cancel_subscription_for_product",
    "change_plan",
    "change_subscription",
    "change_subscription_quantity",
    "check_promotion_code",
    "checkout_reference",
    "create_billing_portal",
    "create_checkout",
    "create_customer",
    "create_payment_method_checkout",
    "create_setup_checkout",
    "create_setup_intent",
    "create_subscription",
    "create_subscription_checkout",
    "customer_id_of",
    "delete",
    "delete_customer_object",
    "detach_all_payment_methods",
    "detach_payment_method",
    "find_owned_row",
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
    "mirror_stripe_object",
    "modify",
    "modify_customer",
    "modify_customer_object",
    "modify_payment_method",
    "modify_subscription",
    "pause_subscription",
    "payment_method_payloads",
    "preview_change",
    "promotion_codes_allowed",
    "refresh_usage",
    "resume_subscription",
    "report_usage",
    "retrieve",
    "retrieve_customer_object",
    "retrieve_payment_method",
    "retrieve_price",
    "retrieve_product",
    "subscribe",
    "subscription_payloads",
    "subscription_required",
    "swap_subscription_price",
    "unpause_subscription",
    "usage",
    "usage_this_period",
]
