from .base import StripeObject
from .billing import (
    ActiveEntitlement,
    Customer,
    EntitlementSummary,
    Invoice,
    PaymentMethod,
    Subscription,
    SubscriptionItem,
)
from .catalog import Price, Product
from .checkouts import OpenCheckout, TrialReservation
from .events import BackfillSegment, SyncCursor, WebhookEvent
from .meters import BillingMeter, MeterUsageSummary
from .schedules import (
    ScheduledChange,
    SubscriptionSchedule,
    SubscriptionSchedulePhase,
    prefetch_scheduled_changes,
    scheduled_changes,
)
from .usage import UsageReport
from .user import StripeBillable, StripeCustomerUser

MIRRORED_MODELS = (
    BillingMeter,
    Product,
    Price,
    Customer,
    PaymentMethod,
    Subscription,
    SubscriptionItem,
    SubscriptionSchedule,
    Invoice,
    ActiveEntitlement,
)

__all__ = [
    "ActiveEntitlement",
    "BillingMeter",
    "Customer",
    "EntitlementSummary",
    "Invoice",
    "MIRRORED_MODELS",
    "MeterUsageSummary",
    "OpenCheckout",
    "PaymentMethod",
    "Price",
    "Product",
    "StripeBillable",
    "StripeCustomerUser",
    "StripeObject",
    "ScheduledChange",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionSchedule",
    "SubscriptionSchedulePhase",
    "BackfillSegment",
    "SyncCursor",
    "TrialReservation",
    "UsageReport",
    "WebhookEvent",
    "prefetch_scheduled_changes",
    "scheduled_changes",
]
