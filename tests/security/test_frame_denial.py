"""ATTACK: clickjacking. Another site loads the self-hosted checkout or subscription page in an invisible frame
over its own bait, so that the logged-in user's click lands on "Subscribe" or "Cancel" without their knowing.

Over real HTTP, against a server of a project without `XFrameOptionsMiddleware` (left out of MIDDLEWARE, as
many projects have it). Before, only the hosted-page views (`go-to-checkout`, ...) denied framing themselves;
`SubscriptionPortalView` and `SubscriptionHistoryView` relied on that middleware, and could be framed. Now
every page of the portal denies framing: `X-Frame-Options: DENY` and a `Content-Security-Policy` with
`frame-ancestors 'none'`, added to the project's own policy (SECURE_CSP) when it has one, never replacing it.
"""

from __future__ import annotations

import django
import pytest
from pytest_django.live_server_helper import LiveServer

from .attacks import api_user, log_in

pytestmark = pytest.mark.django_db(transaction=True)

FRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"


def pages(shop) -> list[str]:
    return ["/", "/subscriptions/", f"/checkout/{shop['month']}/", "/setup-checkout/", "/billing-portal/"]


def serve(settings, middleware: list[str]):
    """A server of the project with this MIDDLEWARE (the shared live server loaded its own at start)."""
    settings.MIDDLEWARE = middleware
    return LiveServer("localhost")


@pytest.fixture
def portal(shop, settings):
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = shop["product"]
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_frames"
    return shop


@pytest.fixture
def frameable_site(portal, settings):
    server = serve(settings, [name for name in settings.MIDDLEWARE if name != FRAME_MIDDLEWARE])
    yield server.url
    server.stop()


def test_no_portal_page_can_be_framed_without_the_middleware(portal, frameable_site):
    api_user(portal, "victim")
    browser = log_in(frameable_site, "victim")
    for page in pages(portal):
        answer = browser.get(f"{frameable_site}{page}", allow_redirects=False)
        assert answer.status_code == 200, page
        assert answer.headers.get("X-Frame-Options") == "DENY", page
        assert "frame-ancestors 'none'" in answer.headers.get("Content-Security-Policy", ""), page


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django's CSP middleware (SECURE_CSP) is new in 6.0")
def test_the_projects_own_policy_is_kept(portal, settings):
    settings.SECURE_CSP = {"default-src": ["'self'"], "img-src": ["'self'", "https://cdn.example"]}
    middleware = [name for name in settings.MIDDLEWARE if name != FRAME_MIDDLEWARE] + [CSP_MIDDLEWARE]
    server = serve(settings, middleware)
    try:
        api_user(portal, "victim")
        browser = log_in(server.url, "victim")
        for page in pages(portal):
            policy = browser.get(f"{server.url}{page}").headers["Content-Security-Policy"]
            assert "default-src 'self'" in policy and "img-src 'self' https://cdn.example" in policy, page
            assert "frame-ancestors 'none'" in policy, page
    finally:
        server.stop()
