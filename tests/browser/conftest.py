"""Browser tests: headless Chromium (Debian's /usr/bin/chromium, driven by Playwright for Python) against
pytest-django's live server and the fake Stripe over HTTP, webhooks included.

Skipped, with the reason, when Playwright or Chromium is missing (`pip install -e ".[test]"`,
`apt-get install chromium`). Screenshots go to test-output/screenshots/; with README_IMAGES=1 the two
README images (docs/images/checkout.png, docs/images/portal.png) are written too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEBHOOK_SECRET = "whsec_browser_tests"
PASSWORD = "correct-horse-battery"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs Playwright for Python: pip install -e '.[test]'"
    if not os.path.exists(CHROMIUM):
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if "browser" in item.keywords and reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def chromium(django_db_setup):
    """One browser per module. Playwright's sync API runs an event loop in this thread while it lives, which
    Django takes for an async context: the module's own (synchronous) ORM calls are allowed meanwhile, and
    the loop is gone before the next module's tests run."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def screenshots(request):
    """`shoot(page, name)`: a full-page screenshot in test-output/screenshots/<name>.png (and, with
    README_IMAGES=1, docs/images/<readme>.png)."""
    root = request.config.rootpath
    directory = root / "test-output" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    readme = os.environ.get("README_IMAGES") == "1"

    def shoot(page, name: str, readme_name: str | None = None) -> Path:
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if readme and readme_name:
            page.screenshot(path=str(root / "docs" / "images" / f"{readme_name}.png"), full_page=True)
        return path

    return shoot


@pytest.fixture
def shop(stripe_fake_server, live_server, settings, transactional_db):
    """The example project on a live server, the fake Stripe over HTTP delivering its webhooks there, and
    the demo catalogue as the default product."""
    from django_stripe.client import get_client
    from django_stripe.testing.demo import seed_demo_catalogue

    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_browser"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CHECKOUT_SUCCESS_URL = f"{live_server.url}/subscriptions/"
    stripe_fake_server.add_webhook_endpoint(f"{live_server.url}/api/webhook/", WEBHOOK_SECRET)
    seeded = seed_demo_catalogue(get_client())
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = seeded["product"].id
    return {"url": live_server.url, "fake": stripe_fake_server, "prices": [p.id for p in seeded["prices"]]}


@pytest.fixture
def customer(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        "jenny", "jenny@example.com", PASSWORD, first_name="Jenny", last_name="Rosen"
    )


def log_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/")
    assert "/api-auth/login/" in page.url  # the checkout needs a login
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("#submit-id-submit")
    page.wait_for_url(f"{base_url}/")


def fill_card(page, number: str, scope=None) -> None:
    scope = scope or page
    scope.get_by_label("Card number").fill(number)
    scope.get_by_label("Expiration date (MM / YY)").fill("12 / 34")
    scope.get_by_label("Security code (CVC)").fill("123")
    postal = scope.get_by_label("ZIP or postal code")
    if postal.count():
        postal.fill("94107")
