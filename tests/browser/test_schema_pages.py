"""Swagger UI and Redoc over the API's schema, in Chromium, offline: every script and style comes from the
project (the sidecar app's static files), none from a CDN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def offline(page, live_server) -> list[str]:
    """Only the live server is reached: anything else is refused and listed."""
    refused: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(live_server.url):
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return refused


def test_swagger_ui_shows_the_operations_offline(page, live_server, screenshots):
    from playwright.sync_api import expect

    refused = offline(page, live_server)
    page.goto(f"{live_server.url}/api/schema/swagger/")
    expect(page.locator(".opblock-summary-path", has_text="/api/subscriptions/").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("django-stripe")
    screenshots(page, "20-api-swagger-ui")
    assert refused == [] and page.errors == []


def test_redoc_shows_the_operations_offline(page, live_server, screenshots):
    from playwright.sync_api import expect

    refused = offline(page, live_server)
    page.goto(f"{live_server.url}/api/schema/redoc/")
    expect(page.get_by_text("Your subscriptions", exact=False).first).to_be_visible()
    expect(page.locator("h1").first).to_contain_text("django-stripe")
    screenshots(page, "21-api-redoc")
    # drf-spectacular's Redoc page asks Google for its fonts and Redoc shows Redocly's logo from its CDN: refused,
    # the page reads the same (the browser's fonts, no logo).
    assert all(url.startswith(("https://fonts.googleapis.com/", "https://cdn.redoc.ly/")) for url in refused), refused
    assert page.errors == []
