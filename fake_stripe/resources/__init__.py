"""The fake's API resources, one module per domain. Importing a module registers its routes, so `routes` here
is the route table with every route of the fake."""

from ..routing import routes
from . import (  # noqa: F401  (imported for the routes they register)
    catalog,
    checkout,
    customers,
    entitlements,
    events,
    invoice_items,
    invoice_payments,
    invoices,
    payment_methods,
    portal_configurations,
    setup_intents,
    subscriptions,
    webhook_endpoints,
)

__all__ = ["routes"]
