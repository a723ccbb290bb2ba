"""The fake's API resources, one module per domain; importing them registers their routes."""

from . import billing, catalog, checkout, customers, entitlements, events  # noqa: F401
