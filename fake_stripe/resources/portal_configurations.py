"""Billing portal configurations: what a portal session lets the customer do (update their details, see their
invoices, cancel, change plan). Create, update, retrieve, list; the account has a default configuration from
the start, which a session without `configuration` uses."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import StripeError, invalid_request, parameter_invalid, parameter_missing
from ..params import Params, as_bool, as_dict, as_objects, as_strings, merge_metadata, one_of
from ..protocol import Fake
from ..resource import Resource, equal
from ..routing import Request
from ..shapes import build
from ..store import StripeObject

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
CUSTOMER_UPDATES = ("address", "email", "name", "phone", "shipping", "tax_id")
SUBSCRIPTION_UPDATES = ("price", "promotion_code", "quantity")
CANCELLATION_REASONS = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
SCHEDULE_CONDITIONS = ("decreasing_item_amount", "shortening_interval")
MAX_PRODUCTS = 10


portal_configurations = Resource(
    "billing_portal.configuration",
    "/v1/billing_portal/configurations",
    noun="configuration",
    filters=(equal("active", as_bool), equal("is_default", as_bool)),
)


def _disabled_features() -> dict[str, Any]:
    """Every feature off, with Stripe's defaults for what a feature given without them leaves out."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": []},
            "enabled": False,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        "subscription_update": {
            "default_allowed_updates": [],
            "enabled": False,
            "products": [],
            "proration_behavior": "none",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
            "billing_cycle_anchor": None,
        },
    }


def _new_configuration(fake: Fake, features: dict[str, Any], is_default: bool) -> StripeObject:
    now = fake.now()
    return build(
        "billing_portal.configuration",
        active=True,
        application=None,
        business_profile={"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
        created=now,
        default_return_url=None,
        features=features,
        id=fake.store.new_id("bpc_", 24),
        is_default=is_default,
        livemode=False,
        login_page={"enabled": False, "url": None},
        metadata={},
        name=None,
        updated=now,
    )


def add_default_configuration(fake: Fake) -> StripeObject:
    """The configuration a new account's portal has: customers update their email, see their invoices, update
    their payment method and cancel at the period's end; plan changes are off until configured."""
    features = _disabled_features()
    features["customer_update"] = {"allowed_updates": ["email", "tax_id"], "enabled": True}
    features["invoice_history"]["enabled"] = True
    features["payment_method_update"]["enabled"] = True
    features["subscription_cancel"]["enabled"] = True
    configuration = _new_configuration(fake, features, is_default=True)
    fake.store.add(configuration)
    fake.store.private["default_portal_configuration"] = configuration["id"]
    return configuration


def default_configuration(fake: Fake) -> StripeObject:
    return fake.store.get(fake.store.private["default_portal_configuration"])


def session_configuration(fake: Fake, configuration_id: Any) -> StripeObject:
    """The configuration a new portal session uses: the one named (existing and active), else the default."""
    if not configuration_id:
        return default_configuration(fake)
    configuration = fake.store.get(configuration_id)
    if configuration is None or configuration.get("object") != "billing_portal.configuration":
        raise StripeError(
            400, f"No such configuration: '{configuration_id}'", code="resource_missing", param="configuration"
        )
    if not configuration["active"]:
        raise invalid_request(
            f"The configuration `{configuration_id}` is not active: activate it to create portal sessions with it.",
            "configuration",
        )
    return configuration


# -- the parameters --------------------------------------------------------------------------------------------


def _apply_params(fake: Fake, configuration: StripeObject, params: Params, creating: bool) -> None:
    """Set what `params` gives: each feature given is merged into the current one (created: the disabled one)."""
    features = as_dict(params, "features")
    for name, change in ((name, as_dict(features, name)) for name in features):
        if name not in configuration["features"]:
            raise parameter_invalid(f"features[{name}]", f"Received unknown parameter: features[{name}]")
        if creating and "enabled" not in change:
            raise parameter_missing(f"features[{name}][enabled]")
        _FEATURES[name](fake, configuration["features"][name], change, f"features[{name}]")
    profile = as_dict(params, "business_profile")
    for field in ("headline", "privacy_policy_url", "terms_of_service_url"):
        if field in profile:
            configuration["business_profile"][field] = profile[field] or None
    for field in ("default_return_url", "name"):
        if field in params:
            configuration[field] = params[field] or None
    if "login_page" in params:
        enabled = as_bool(as_dict(params, "login_page"), "enabled", False)
        url = f"https://billing.stripe.com/p/login/test_{configuration['id'][4:]}" if enabled else None
        configuration["login_page"] = {"enabled": enabled, "url": url}
    configuration["active"] = as_bool(params, "active", configuration["active"])
    configuration["metadata"] = merge_metadata(configuration["metadata"], params)


def _enabled(feature: dict[str, Any], change: Params, param: str) -> None:
    try:
        feature["enabled"] = as_bool(change, "enabled", feature["enabled"])
    except StripeError as error:
        error.param = f"{param}[enabled]"
        raise


def _choices(change: Params, name: str, choices: tuple[str, ...], param: str) -> list[str]:
    values = as_strings(change, name)
    for value in values:
        if value not in choices:
            raise parameter_invalid(f"{param}[{name}]", f"Invalid {name}: must be one of {', '.join(choices)}")
    return values


def _customer_update(fake: Fake, feature: dict[str, Any], change: Params, param: str) -> None:
    _enabled(feature, change, param)
    if "allowed_updates" in change:
        feature["allowed_updates"] = _choices(change, "allowed_updates", CUSTOMER_UPDATES, param)


def _invoice_history(fake: Fake, feature: dict[str, Any], change: Params, param: str) -> None:
    _enabled(feature, change, param)


def _payment_method_update(fake: Fake, feature: dict[str, Any], change: Params, param: str) -> None:
    _enabled(feature, change, param)
    if "payment_method_configuration" in change:
        feature["payment_method_configuration"] = change["payment_method_configuration"] or None


def _subscription_cancel(fake: Fake, feature: dict[str, Any], change: Params, param: str) -> None:
    _enabled(feature, change, param)
    feature["mode"] = one_of(change, "mode", ("at_period_end", "immediately"), feature["mode"])
    feature["proration_behavior"] = one_of(
        change, "proration_behavior", ("create_prorations", "none"), feature["proration_behavior"]
    )
    reason = as_dict(change, "cancellation_reason")
    if reason:
        feature["cancellation_reason"] = {
            "enabled": as_bool(reason, "enabled", feature["cancellation_reason"]["enabled"]),
            "options": _choices(reason, "options", CANCELLATION_REASONS, f"{param}[cancellation_reason]")
            if "options" in reason
            else feature["cancellation_reason"]["options"],
        }


def _subscription_update(fake: Fake, feature: dict[str, Any], change: Params, param: str) -> None:
    _enabled(feature, change, param)
    if "default_allowed_updates" in change:
        feature["default_allowed_updates"] = _choices(change, "default_allowed_updates", SUBSCRIPTION_UPDATES, param)
    if "products" in change:
        feature["products"] = _products(fake, change, f"{param}[products]")
    feature["proration_behavior"] = one_of(
        change, "proration_behavior", PRORATION_BEHAVIORS, feature["proration_behavior"]
    )
    feature["trial_update_behavior"] = one_of(
        change, "trial_update_behavior", ("continue_trial", "end_trial"), feature["trial_update_behavior"]
    )
    if "billing_cycle_anchor" in change:
        feature["billing_cycle_anchor"] = one_of(change, "billing_cycle_anchor", ("now", "unchanged")) or None
    schedule = as_dict(change, "schedule_at_period_end")
    if "conditions" in schedule:
        conditions = as_objects(schedule, "conditions")
        for n, condition in enumerate(conditions):
            if one_of(condition, "type", SCHEDULE_CONDITIONS) is None:
                raise parameter_missing(f"{param}[schedule_at_period_end][conditions][{n}][type]")
        feature["schedule_at_period_end"] = {"conditions": [{"type": c["type"]} for c in conditions]}


def _products(fake: Fake, change: Params, param: str) -> list[dict[str, Any]]:
    """Up to 10 products, each with the recurring prices of its own a subscription may move to."""
    specs = as_objects(change, "products")
    if len(specs) > MAX_PRODUCTS:
        raise parameter_invalid(param, f"You can pass at most {MAX_PRODUCTS} products.")
    products = []
    for n, spec in enumerate(specs):
        product_param, prices_param = f"{param}[{n}][product]", f"{param}[{n}][prices]"
        product = fake.store.require(spec.get("product") or "", "product", product_param)
        prices = as_strings(spec, "prices")
        if not prices:
            raise parameter_missing(prices_param)
        for price_id in prices:
            price = fake.store.require(price_id, "price", prices_param)
            if price["product"] != product["id"] or price["type"] != "recurring":
                raise parameter_invalid(
                    prices_param, f"The price `{price_id}` is not a recurring price of the product `{product['id']}`."
                )
        products.append(
            {
                "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": 1},
                "prices": prices,
                "product": product["id"],
            }
        )
    return products


_FEATURES = {
    "customer_update": _customer_update,
    "invoice_history": _invoice_history,
    "payment_method_update": _payment_method_update,
    "subscription_cancel": _subscription_cancel,
    "subscription_update": _subscription_update,
}


# -- routes --------------------------------------------------------------------------------------------------


@portal_configurations.post()
def post_configurations(request: Request) -> StripeObject:
    fake, params = request.fake, request.params
    if not as_dict(params, "features"):
        raise parameter_missing("features")
    configuration = _new_configuration(fake, _disabled_features(), is_default=False)
    _apply_params(fake, configuration, params, creating=True)
    fake.store.add(configuration)
    portal_configurations.emit(fake, "created", configuration)
    return configuration


@portal_configurations.post("/{id}")
def update_configuration(request: Request) -> StripeObject:
    fake = request.fake
    configuration = portal_configurations.retrieve(request)
    with portal_configurations.changing(fake, configuration) as before:
        changed = copy.deepcopy(configuration)  # all or nothing: a bad parameter leaves the configuration as it was
        _apply_params(fake, changed, request.params, creating=False)
        if changed != before:
            changed["updated"] = fake.now()
        configuration.update(changed)
    return configuration
