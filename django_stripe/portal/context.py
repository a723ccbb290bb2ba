"""What every page of the portal shows: the title, Stripe.js and the publishable key, whether the key is a
test key (and the test cards), the billing country to preselect, and the URLs of the other pages; and what every
page sends: a denial of framing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import NoReverseMatch, reverse

from ..conf import DEFAULTS, stripe_settings
from ..countries import CODES, COUNTRIES
from .acting import ActsForBillableMixin

STRIPE_JS = "https://js.stripe.com/v3/"
TEST_CARDS = (
    ("4242 4242 4242 4242", "Succeeds"),
    ("4000 0000 0000 0002", "Declined"),
    ("4000 0000 0000 9995", "Declined: insufficient funds"),
)


def stripe_js_url() -> str:
    """Where the pages load Stripe.js from: STRIPE_JS_URL, else the fake Stripe's stand-in when STRIPE_API_BASE
    points somewhere other than Stripe (`<STRIPE_API_BASE>/v3/`), else Stripe's own."""
    if stripe_settings.STRIPE_JS_URL:
        return stripe_settings.STRIPE_JS_URL
    base = stripe_settings.STRIPE_API_BASE
    if base and "api.stripe.com" not in base:
        return base.rstrip("/") + "/v3/"
    return STRIPE_JS


def is_test_key(publishable_key: str | None) -> bool:
    return bool(publishable_key) and publishable_key.startswith("pk_test_")


def show_test_cards(publishable_key: str | None) -> bool:
    """Test card hints: in dev mode, and never with a live key."""
    return stripe_settings.STRIPE_CHECKOUT_DEV_MODE and is_test_key(publishable_key)


def default_country(request: HttpRequest) -> str:
    """The billing country to preselect: COUNTRY_HEADER's value when it is a country, else
    STRIPE_CHECKOUT_DEFAULT_COUNTRY when it is one, else the setting's default (US)."""
    for candidate in (country_header_value(request), stripe_settings.STRIPE_CHECKOUT_DEFAULT_COUNTRY):
        code = str(candidate or "").strip().upper()
        if code in CODES:
            return code
    return DEFAULTS["STRIPE_CHECKOUT_DEFAULT_COUNTRY"]


def country_header_value(request: HttpRequest) -> str | None:
    """COUNTRY_HEADER's value in this request. Its documented value is as a META key (`HTTP_CF_IPCOUNTRY`);
    a project may as well write the header's own name (`CF-IPCountry`), which only `request.headers` finds."""
    header = stripe_settings.COUNTRY_HEADER
    if not header:
        return None
    return request.META.get(header) or request.headers.get(header)


# The URL kwargs of the package's own pages; any other kwarg of the current URL is the project's prefix.
PAGE_KWARGS = frozenset({"price_id", "subscription_id"})


def prefix_kwargs(request: HttpRequest) -> dict[str, Any]:
    """The kwargs of the project's prefix in the current URL (`team_id` of `teams/<int:team_id>/billing/`),
    which every URL a page links to keeps."""
    match = getattr(request, "resolver_match", None)
    return {name: value for name, value in (match.kwargs if match else {}).items() if name not in PAGE_KWARGS}


def prefixed_url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """The URL named `name` under the current URL's prefix; where the project mounted that URL without the
    prefix only, that one (NoReverseMatch where it is mounted nowhere)."""
    prefix = prefix_kwargs(request)
    try:
        return reverse(name, kwargs={**prefix, **kwargs} or None)
    except NoReverseMatch:
        if not prefix:
            raise
        return reverse(name, kwargs=kwargs or None)


def optional_url(request: HttpRequest, name: str, **kwargs: Any) -> str | None:
    """The URL named `name` under the current prefix (`prefixed_url`), or None where the project did not mount
    that page."""
    try:
        return prefixed_url(request, name, **kwargs)
    except NoReverseMatch:
        return None


def deny_framing(response: HttpResponseBase) -> HttpResponseBase:
    """No other site may show the page in a frame (clickjacking: a hidden frame over a bait takes the user's
    click on "Subscribe" or "Cancel"), whether or not the project has XFrameOptionsMiddleware:
    `X-Frame-Options: DENY`, and `frame-ancestors 'none'` in the Content-Security-Policy. A project's own policy
    (SECURE_CSP, which Django's CSP middleware writes unless the header is there already) gets the directive
    added, rather than a header of ours written in its place."""
    if response.get("X-Frame-Options") is None:
        response["X-Frame-Options"] = "DENY"
    project_policy = getattr(settings, "SECURE_CSP", None)  # Django 6.0+
    if project_policy:
        # What Django's csp_override decorator sets: the policy the middleware writes for this response.
        response._csp_config = {**project_policy, "frame-ancestors": ["'none'"]}
    elif "Content-Security-Policy" not in response:
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


class FramingDeniedMixin:
    """A view whose every response, a redirect or an error page included, denies framing (`deny_framing`)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return deny_framing(super().dispatch(request, *args, **kwargs))


class PortalMixin(FramingDeniedMixin, LoginRequiredMixin, ActsForBillableMixin):
    """What the pages share: the title, Stripe.js, the publishable key and the API URLs for the script (under
    the current URL's prefix); the billable they act for and whether the user may change its billing
    (`can_manage`); no framing."""

    request: HttpRequest

    def portal_context(self) -> dict[str, Any]:
        publishable_key = stripe_settings.STRIPE_PUBLISHABLE_KEY
        hide_postal_code = stripe_settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE
        request = self.request
        urls = {
            "setupIntents": prefixed_url(request, "setup-intents"),
            "subscriptions": prefixed_url(request, "subscriptions"),
            "history": optional_url(request, "subscription-history"),
            "portal": optional_url(request, "subscription-portal"),
        }
        return {
            "title": stripe_settings.STRIPE_CHECKOUT_TITLE,
            "publishable_key": publishable_key,
            "stripe_js_url": stripe_js_url(),
            "test_mode": is_test_key(publishable_key),
            "show_test_cards": show_test_cards(publishable_key),
            "test_cards": TEST_CARDS,
            "hide_postal_code": hide_postal_code,
            "countries": COUNTRIES,
            "country": default_country(self.request),
            "billing_name": _full_name(self.request.user),
            "history_url": urls["history"],
            "portal_url": urls["portal"],
            "billing_portal_url": optional_url(request, "go-to-billing-portal"),
            "can_manage": self.can_manage,
            "config": {
                "publishableKey": publishable_key,
                "hidePostalCode": hide_postal_code,
                "urls": urls,
            },
        }


def _full_name(user: Any) -> str:
    return (user.get_full_name() if hasattr(user, "get_full_name") else "") or ""
