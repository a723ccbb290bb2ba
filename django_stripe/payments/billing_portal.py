"""The Stripe Billing Portal, under the library's rules.

An account's default portal configuration is the Dashboard's, outside those rules: it may let a customer switch
to any product's price with Stripe's default proration (the difference left for the next renewal) or pause a
subscription. So by default (STRIPE_BILLING_PORTAL_CONFIGURATION None) the portal sessions use a configuration
of the library's own, made from the mirror's catalogue: the products the API sells (their active recurring
prices; the default product alone with STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY), upgrades invoiced and paid at once
(`always_invoice`), a trial ended by a plan change, cancellation at the period's end, promotion codes only
with STRIPE_ALLOW_PROMOTION_CODES. It is created at Stripe on first use, marked in its metadata with a
fingerprint of what it allows, and updated when the catalogue changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import stripe
from django.core.cache import caches

from .. import signals
from ..client import get_client
from ..conf import key_livemode, stripe_settings
from ..models import Price
from .customers import add_stripe_customer_if_not_existing
from .promotion_codes import promotion_codes_allowed

OURS = "django_stripe"  # the metadata key that marks the library's configuration; its value is the fingerprint
ACCOUNT_DEFAULT = "default"  # STRIPE_BILLING_PORTAL_CONFIGURATION for the account's own default configuration
MAX_PRODUCTS = 10  # Stripe's limit on the products a configuration's subscription_update lists
CACHE_KEY = "django_stripe:billing_portal_configuration:{mode}:{fingerprint}"


@add_stripe_customer_if_not_existing
def create_billing_portal(billable: Any) -> stripe.billing_portal.Session:
    """A Billing Portal session returning to STRIPE_BILLING_PORTAL_RETURN_URL, with the configuration of
    STRIPE_BILLING_PORTAL_CONFIGURATION (by default the library's own); billing_portal_created is sent."""
    params = {"customer": billable.stripe_customer_id, "return_url": stripe_settings.STRIPE_BILLING_PORTAL_RETURN_URL}
    try:
        session = _create_session(params)
    except stripe.InvalidRequestError as error:
        if error.param != "configuration" or stripe_settings.STRIPE_BILLING_PORTAL_CONFIGURATION:
            raise
        caches[stripe_settings.STRIPE_SUBSCRIPTION_CACHE_NAME].delete(_cache_key(configuration_params()))
        session = _create_session(params)  # ours was deactivated in the Dashboard since: found or made again
    signals.billing_portal_created.send(sender=billable.__class__, user=billable, session=session)
    return session


def _create_session(params: dict[str, Any]) -> stripe.billing_portal.Session:
    configuration = billing_portal_configuration()
    extra = {"configuration": configuration} if configuration else {}
    return get_client().v1.billing_portal.sessions.create(params={**params, **extra})


def billing_portal_configuration() -> str | None:
    """The id of the portal configuration sessions are created with; None for the account's default."""
    configured = stripe_settings.STRIPE_BILLING_PORTAL_CONFIGURATION
    if configured == ACCOUNT_DEFAULT:
        return None
    return configured or library_configuration()


def library_configuration() -> str:
    """The id of the library's own configuration as the catalogue now asks for it: found by its fingerprint
    in the cache, else at Stripe (created, or updated to the catalogue, as needed)."""
    params = configuration_params()
    key = _cache_key(params)
    cache = caches[stripe_settings.STRIPE_SUBSCRIPTION_CACHE_NAME]
    configuration_id = cache.get(key)
    if configuration_id is None:
        configuration_id = _kept_at_stripe(params, _fingerprint(params))
        cache.set(key, configuration_id, timeout=None)
    return configuration_id


def _fingerprint(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _cache_key(params: dict[str, Any]) -> str:
    return CACHE_KEY.format(mode=key_livemode(), fingerprint=_fingerprint(params))


def _kept_at_stripe(params: dict[str, Any], fingerprint: str) -> str:
    configurations = get_client().v1.billing_portal.configurations
    params = {**params, "metadata": {OURS: fingerprint}}
    for configuration in configurations.list(params={"active": True, "limit": 100}).auto_paging_iter():
        if OURS in (configuration.metadata or {}):
            if configuration.metadata[OURS] != fingerprint:
                configurations.update(configuration.id, params=params)
            return configuration.id
    return configurations.create(params=params).id


def configuration_params() -> dict[str, Any]:
    """What the library's configuration allows, from the mirror's catalogue."""
    products = sold_products()
    updates = ["price", "quantity"] + (["promotion_code"] if promotion_codes_allowed() else [])
    return {
        "default_return_url": stripe_settings.STRIPE_BILLING_PORTAL_RETURN_URL,
        "features": {
            "customer_update": {"enabled": True, "allowed_updates": ["address", "name", "phone", "tax_id"]},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end", "proration_behavior": "none"},
            "subscription_update": {
                "enabled": bool(products),
                "default_allowed_updates": updates if products else [],
                "products": products,
                "proration_behavior": "always_invoice",
                "trial_update_behavior": "end_trial",
            },
        },
    }


def sold_products() -> list[dict[str, Any]]:
    """[{product, prices}] of the products the API sells: active, with their active recurring prices."""
    prices = (
        Price.objects.live()
        .filter(active=True, type="recurring", product__active=True, product__deleted=False)
        .order_by("product__created", "product_id", "unit_amount", "id")
        .values_list("product_id", "id")
    )
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY:
        prices = prices.filter(product_id=stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID)
    by_product: dict[str, list[str]] = {}
    for product_id, price_id in prices:
        by_product.setdefault(product_id, []).append(price_id)
    return [{"product": product, "prices": ids} for product, ids in list(by_product.items())[:MAX_PRODUCTS]]
