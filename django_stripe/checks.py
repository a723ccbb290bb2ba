"""Django system checks: misconfigurations are reported by `manage.py check`, with a hint to fix them."""

from __future__ import annotations

import stripe
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, router
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string

from .billables import billable_model, bills_users
from .celery_setup import MISSING_APP, celery_app_hint, missing_celery_app
from .client import api_version
from .conf import DOWNGRADE_MOMENTS, PAUSE_BEHAVIORS, is_stripes_api, key_mode, stripe_settings
from .models import WebhookEvent
from .webhooks.endpoint import endpoints_of_another_version
from .webhooks.health import stale_pending_events
from .webhooks.views import webhook


@register()
def check_api_keys(app_configs, **kwargs):
    secret = stripe_settings.STRIPE_SECRET_KEY
    publishable = stripe_settings.STRIPE_PUBLISHABLE_KEY
    messages = []
    if not secret:
        messages.append(
            Warning(
                "STRIPE_SECRET_KEY is not set: every call to Stripe will fail.",
                hint="Set STRIPE_SECRET_KEY in settings or in the environment (sk_test_... while developing).",
                id="django_stripe.W001",
            )
        )
    secret_mode, publishable_mode = key_mode(secret), key_mode(publishable)
    if secret_mode and publishable_mode and secret_mode != publishable_mode:
        messages.append(
            Error(
                "STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY belong to different modes "
                f"({secret_mode} and {publishable_mode}).",
                hint="Use the test keys together, or the live keys together, from the same Stripe account.",
                id="django_stripe.E001",
            )
        )
    if secret_mode == "live" and not is_stripes_api(stripe_settings.STRIPE_API_BASE):
        messages.append(
            Error(
                f"STRIPE_SECRET_KEY is a live key and STRIPE_API_BASE ({stripe_settings.STRIPE_API_BASE!r}) is not "
                "Stripe's API: every request would send the live key to that host.",
                hint="Remove STRIPE_API_BASE in production (Stripe's own API is the default), or use a test key "
                "(sk_test_...) with the fake Stripe or another stand-in.",
                id="django_stripe.E006",
            )
        )
    return messages


@register()
def check_access_product(app_configs, **kwargs):
    """An access check that names no product has nothing to check without one of these two settings: it raises,
    and the view gates deny everyone (failing open would let a subscription to any product unlock all)."""
    if stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID or stripe_settings.STRIPE_ACCESS_ANY_PRODUCT:
        return []
    return [
        Warning(
            "Neither STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID nor STRIPE_ACCESS_ANY_PRODUCT is set: an access check "
            "that names no product (is_subscribed(user), @subscription_required, IsSubscribed) raises "
            "StripeNotConfigured, and the view gates deny every user.",
            hint="Set STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID to the product that gives access, or "
            "STRIPE_ACCESS_ANY_PRODUCT = True if a subscription to any product should. If every check of yours "
            "names its product, add django_stripe.W004 to SILENCED_SYSTEM_CHECKS.",
            id="django_stripe.W004",
        )
    ]


@register()
def check_webhook_secret(app_configs, **kwargs):
    secrets = stripe_settings.webhook_secrets
    blank = [secret for secret in secrets if not isinstance(secret, str) or not secret.strip()]
    if blank:
        return [
            Error(
                f"STRIPE_WEBHOOK_SECRET holds {len(blank)} blank entr{'y' if len(blank) == 1 else 'ies'} "
                f"({', '.join(repr(secret) for secret in blank)}): a secret left empty by a missing environment "
                "variable verifies nothing, and the rotation it was meant for is broken.",
                hint="List only the endpoints' signing secrets (whsec_...): drop the empty entries, or fill in the "
                "environment variables they were read from.",
                id="django_stripe.E007",
            )
        ]
    if secrets:
        return []
    return [
        Warning(
            "STRIPE_WEBHOOK_SECRET is not set: the webhook endpoint rejects every event, so the mirror "
            "will not follow Stripe.",
            hint="Copy the endpoint's signing secret (whsec_...) from the Stripe Dashboard or `stripe listen`.",
            id="django_stripe.W002",
        )
    ]


# Stripe signs every delivery, retries included, anew: a window of more than an hour helps no genuine event,
# only a captured one replayed later.
MAX_WEBHOOK_TOLERANCE = 3600


@register()
def check_webhook_tolerance(app_configs, **kwargs):
    value = stripe_settings.STRIPE_WEBHOOK_TOLERANCE
    # bool is an int to Python, but True is no number of seconds.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_WEBHOOK_TOLERANCE:
        return []
    return [
        Error(
            f"STRIPE_WEBHOOK_TOLERANCE is {value!r}: it must be a whole number of seconds from 1 to "
            f"{MAX_WEBHOOK_TOLERANCE}. stripe-python does not check a signature's age at all with 0, so replayed "
            "deliveries would be accepted; the endpoint uses the default (300) for anything but a positive int.",
            hint="Leave STRIPE_WEBHOOK_TOLERANCE unset (300 s, Stripe's own default) or set an int such as 300.",
            id="django_stripe.E005",
        )
    ]


# Subscription statuses in which nothing has been paid, or no longer is: access in one of them is access for free.
UNPAID_STATUSES = ("incomplete", "incomplete_expired", "unpaid", "paused", "canceled")


@register()
def check_access_statuses(app_configs, **kwargs):
    statuses = stripe_settings.STRIPE_ACCESS_STATUSES
    unpaid = [status for status in UNPAID_STATUSES if status in (statuses or ())]
    if not unpaid:
        return []
    return [
        Warning(
            f"STRIPE_ACCESS_STATUSES includes {', '.join(unpaid)}: a subscription in "
            f"{'that status' if len(unpaid) == 1 else 'those statuses'} gives access without payment (a first "
            "invoice never paid, payment given up on, collection paused, or a subscription that ended).",
            hint='Grant access in "active" and "trialing" (the default), with "past_due" to keep it during dunning.',
            id="django_stripe.W005",
        )
    ]


@register()
def check_plan_change_settings(app_configs, **kwargs):
    """A plan change or a pause with a value Stripe does not know fails at the first user who asks (StripeNotConfigured,
    or Stripe's 400): said at startup instead."""
    messages = []
    for name, allowed, error_id in (
        ("STRIPE_DOWNGRADE_AT", DOWNGRADE_MOMENTS, "django_stripe.E008"),
        ("STRIPE_PAUSE_BEHAVIOR", PAUSE_BEHAVIORS, "django_stripe.E009"),
    ):
        value = getattr(stripe_settings, name)
        if value not in allowed:
            messages.append(
                Error(
                    f"{name} is {value!r}: it must be one of {', '.join(map(repr, allowed))}.",
                    hint=f"Leave {name} unset (the default, {allowed[0]!r}) or set one of those values.",
                    id=error_id,
                )
            )
    return messages


@register()
def check_user_model(app_configs, **kwargs):
    """The billable model (the user model by default) must hold a customer id django-stripe can read and write."""
    if not apps.is_installed("django.contrib.auth"):
        return []
    if not stripe_settings.STRIPE_BILLABLE_MODEL:
        return user_model_messages(get_user_model())
    model = _billable_model_or_none()
    return [] if model is None else user_model_messages(model, "STRIPE_BILLABLE_MODEL")


def user_model_messages(user_model: type, setting: str = "AUTH_USER_MODEL") -> list[Error]:
    """A user model, or the billable model `setting` names, must hold a customer id that django-stripe can read
    and, to create a customer, write."""
    attribute = getattr(user_model, "stripe_customer_id", None)
    value = settings.AUTH_USER_MODEL if setting == "AUTH_USER_MODEL" else getattr(stripe_settings, setting)
    named = f"{setting} ({value})"
    if not hasattr(user_model, "stripe_customer_id"):
        return [
            Error(
                f"{named} has no stripe_customer_id.",
                hint="Subclass django_stripe.models.StripeCustomerUser (a user model) or StripeBillable (any "
                "other), or add a stripe_customer_id field or property to the model.",
                id="django_stripe.E002",
            )
        ]
    if isinstance(attribute, property) and attribute.fset is None:
        return [
            Error(
                f"{named}.stripe_customer_id is a read-only property: a new customer's id cannot be saved on it.",
                hint="Add a setter that stores the id in your field (@stripe_customer_id.setter).",
                id="django_stripe.E004",
            )
        ]
    return []


@register()
def check_billable_settings(app_configs, **kwargs):
    """STRIPE_BILLABLE_MODEL must name an installed model, STRIPE_BILLABLE_MEMBERS a lookup from it to the user
    model, and the two callables must import; a billable other than the user model without members gives a
    member no access through their team."""
    if stripe_settings.STRIPE_BILLABLE_MODEL and _billable_model_or_none() is None:
        return [
            Error(
                f"STRIPE_BILLABLE_MODEL ({stripe_settings.STRIPE_BILLABLE_MODEL!r}) is not an installed model.",
                hint='Set it to "app_label.ModelName" of a model of an app in INSTALLED_APPS, or leave it unset '
                "to bill users.",
                id="django_stripe.E011",
            )
        ]
    messages = [*_members_messages(), *_callable_messages()]
    if not stripe_settings.STRIPE_BILLABLE_MEMBERS and not bills_users():
        messages.append(
            Warning(
                f"STRIPE_BILLABLE_MODEL is {billable_model()._meta.label} and STRIPE_BILLABLE_MEMBERS is not set: "
                "is_subscribed(user), has_entitlement(user) and the view gates give members no access through "
                "the billables they belong to.",
                hint="Set STRIPE_BILLABLE_MEMBERS to the lookup from the billable model to the user model (e.g. "
                '"members" or "memberships__user").',
                id="django_stripe.W008",
            )
        )
    return messages


def _billable_model_or_none() -> type | None:
    try:
        return billable_model()
    except (LookupError, ValueError):
        return None


def _members_messages() -> list[Error]:
    lookup = stripe_settings.STRIPE_BILLABLE_MEMBERS
    if not lookup or bills_users() or members_lookup_target(billable_model(), lookup) is get_user_model():
        return []
    return [
        Error(
            f"STRIPE_BILLABLE_MEMBERS ({lookup!r}) is not a lookup from {billable_model()._meta.label} to the user "
            f"model ({get_user_model()._meta.label}).",
            hint='Name the relations from the billable model to its users, joined by "__" (e.g. "members", '
            '"memberships__user").',
            id="django_stripe.E012",
        )
    ]


def members_lookup_target(model: type, lookup: str) -> type | None:
    """The model `lookup` (relations joined by "__") leads to from `model`, or None when it is not one."""
    for name in lookup.split("__") if isinstance(lookup, str) else [None]:
        try:
            field = model._meta.get_field(name)
        except (FieldDoesNotExist, TypeError):
            return None
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model
    return model


def _callable_messages() -> list[Error]:
    messages = []
    for name in ("STRIPE_BILLABLE_FOR_REQUEST", "STRIPE_BILLING_ROLE"):
        value = getattr(stripe_settings, name)
        if not value or callable(value):
            continue
        try:
            found = import_string(value) if isinstance(value, str) else None
        except ImportError:
            found = None
        if not callable(found):
            messages.append(
                Error(
                    f"{name} ({value!r}) is not an importable callable.",
                    hint=f'Set {name} to the dotted path of a function (e.g. "myapp.billing.team_for_request"), or '
                    "leave it unset for the default.",
                    id="django_stripe.E013",
                )
            )
    return messages


@register(Tags.urls)
def check_rest_framework_installed(app_configs, **kwargs):
    if apps.is_installed("rest_framework") or not _uses_api_urls(get_resolver().url_patterns):
        return []
    return [
        Error(
            "The django-stripe REST API is in your URLs but 'rest_framework' is not in INSTALLED_APPS.",
            hint="Add 'rest_framework' to INSTALLED_APPS.",
            id="django_stripe.E003",
        )
    ]


@register(Tags.urls)
def check_celery_app(app_configs, **kwargs):
    """The webhook endpoint stores events for the workers: without a Celery app of the project's, none gets them."""
    if not _uses_webhook_endpoint(get_resolver().url_patterns) or not missing_celery_app():
        return []
    return [
        Warning(
            f"The Stripe webhook endpoint is in your URLs, but no worker will process its events. {MISSING_APP}",
            hint=celery_app_hint(),
            id="django_stripe.W003",
        )
    ]


def _uses_webhook_endpoint(patterns) -> bool:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if _uses_webhook_endpoint(pattern.url_patterns):
                return True
        elif isinstance(pattern, URLPattern) and pattern.callback is webhook:
            return True
    return False


def _uses_api_urls(patterns) -> bool:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern.urlconf_module, "__name__", "").startswith("django_stripe.") or _uses_api_urls(
                pattern.url_patterns
            ):
                return True
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and view_class.__module__.startswith("django_stripe.api"):
                return True
    return False


@register(Tags.database, deploy=True)
def check_pending_events(app_configs, databases=None, **kwargs):
    """Events pending for long mean no worker applies them (`check --deploy --database default`). A check that
    reads the database runs only when asked for that database, so `check` and `check --deploy` alone never
    touch it (nor fail without one)."""
    if not databases or router.db_for_read(WebhookEvent) not in databases:
        return []
    max_age = stripe_settings.STRIPE_STATUS_MAX_PENDING_AGE
    try:
        stale = stale_pending_events(max_age)
    except DatabaseError:  # not migrated yet, or unreachable: Django's own checks and `migrate` say so
        return []
    if not stale:
        return []
    return [
        Warning(
            f"{stale} Stripe event(s) have been pending for more than {max_age} s: no worker is applying them, so "
            "the mirror is falling behind Stripe.",
            hint="Run a Celery worker (celery -A <project> worker) and celery beat with the sweeper "
            "(django_stripe.sweep_webhook_events); `manage.py stripe_process_events` applies them meanwhile, "
            "`manage.py stripe_status` shows the backlog.",
            id="django_stripe.W006",
        )
    ]


@register()
def check_rate_limit(app_configs, **kwargs):
    """A rate of the wrong type would fail the first request to Stripe (every request reads it): said at startup."""
    rate, reserved = stripe_settings.STRIPE_RATE_LIMIT, stripe_settings.STRIPE_RATE_LIMIT_RESERVED
    problems = []
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0):
        problems.append(f"STRIPE_RATE_LIMIT is {rate!r}: it must be a number of requests per second (0: no limit)")
    if isinstance(reserved, bool) or not isinstance(reserved, int | float) or not 0 <= reserved < 1:
        problems.append(f"STRIPE_RATE_LIMIT_RESERVED is {reserved!r}: it must be a share from 0 to less than 1")
    return [
        Error(
            f"{problem}.",
            hint="Leave it unset for the default (80% of Stripe's read limit for the key's mode; a reserved 0.2), "
            "or see the Rate limits section of the operations docs.",
            id="django_stripe.E010",
        )
        for problem in problems
    ]


@register(deploy=True)
def check_rate_limit_shared(app_configs, **kwargs):
    """Stripe counts a live account's requests from every process together; a bucket per process does not."""
    limited = stripe_settings.STRIPE_RATE_LIMIT != 0
    if key_mode(stripe_settings.STRIPE_SECRET_KEY) != "live" or not limited:
        return []
    if stripe_settings.STRIPE_RATE_LIMIT_REDIS_URL:
        return []
    return [
        Warning(
            "STRIPE_RATE_LIMIT_REDIS_URL is not set: each process limits its own requests to Stripe, so N processes "
            "(gunicorn's workers, Celery's, a backfill) may send N times STRIPE_RATE_LIMIT and draw 429s.",
            hint="Set STRIPE_RATE_LIMIT_REDIS_URL to a Redis every process reaches (the broker's will do), or "
            "silence django_stripe.W007 if one process alone calls Stripe.",
            id="django_stripe.W007",
        )
    ]


@register(deploy=True)
def check_webhook_endpoint_version(app_configs, **kwargs):
    """An endpoint of another API version sends shapes of that version: applied from a fetch each (webhooks/
    thin.py), a read from Stripe per event. This asks Stripe, so only `check --deploy` runs it (and
    `stripe_webhook_setup --check`), never every manage.py command."""
    if not stripe_settings.STRIPE_SECRET_KEY:
        return []
    try:
        drifted = endpoints_of_another_version()
    except stripe.StripeError as error:
        return [
            Warning(
                "Could not list the Stripe webhook endpoints to compare their API version: "
                f"{error.user_message or error}",
                hint="Check STRIPE_SECRET_KEY (a restricted key needs read access to webhook endpoints).",
                id="django_stripe.W009",
            )
        ]
    return [
        Warning(
            f"The Stripe webhook endpoint {endpoint.id} ({endpoint.url}) sends events at API version "
            f"{endpoint.api_version or 'the account default'}, not the pinned {api_version()}: each of its events "
            "costs a read from Stripe to be applied.",
            hint=f"Run `manage.py stripe_webhook_setup {endpoint.url}`: it makes an endpoint at the pinned version.",
            id="django_stripe.W009",
        )
        for endpoint in drifted
    ]
