"""The fake's API resources, one module per domain; importing them registers their routes."""

from . import (  # noqa: F401
    catalog,
    checkout,
    customers,
    entitlements,
    events,
    invoices,
    payment_methods,
    renewals,
    setup_intents,
    subscriptions,
    webhook_endpoints,
)
