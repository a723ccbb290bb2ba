"""`manage.py stripe_webhook_setup` and the endpoint version check, against the fake over real HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import checks
from django.core.management import CommandError, call_command

from django_stripe.client import api_version, get_client
from django_stripe.webhooks.endpoint import handled_event_types
from tests.ports import free_port

pytestmark = pytest.mark.django_db  # the system checks read the database on SQLite

URL = "https://shop.example/api/webhook/"


def setup(*args: str) -> str:
    out = StringIO()
    call_command("stripe_webhook_setup", *args, stdout=out)
    return out.getvalue()


def endpoints() -> list:
    return list(get_client().v1.webhook_endpoints.list({"limit": 100}).auto_paging_iter())


def version_warnings() -> list[str]:
    found = checks.run_checks(include_deployment_checks=True)
    return [message.msg for message in found if message.id == "django_stripe.W009"]


def test_the_handled_event_types_are_concrete_and_cover_the_built_in_handlers():
    events = handled_event_types()
    assert "*" not in events and not any("*" in name for name in events)
    assert {"customer.subscription.updated", "invoice.paid", "checkout.session.completed", "price.created"} <= set(
        events
    )
    assert "charge.succeeded" not in events  # no handler


def test_setup_creates_the_endpoint_once_then_leaves_it_alone(stripe_fake_server):
    created = setup(URL)
    (endpoint,) = endpoints()
    assert (endpoint.url, endpoint.api_version) == (URL, api_version())
    assert sorted(endpoint.enabled_events) == handled_event_types()
    secret = stripe_fake_server.webhooks.endpoints[endpoint.id].secret
    assert f"signing secret (shown once; add it to STRIPE_WEBHOOK_SECRET): {secret}" in created

    again = setup(URL)
    assert [e.id for e in endpoints()] == [endpoint.id]
    assert "Updated" in again and "whsec_" not in again
    assert "is up to date" in setup(URL, "--check")


def test_check_reports_events_that_drifted_and_setup_puts_them_back(stripe_fake_server):
    setup(URL)
    (endpoint,) = endpoints()
    get_client().v1.webhook_endpoints.update(endpoint.id, {"enabled_events": ["customer.created", "charge.failed"]})

    with pytest.raises(CommandError) as drifted:
        setup(URL, "--check")
    assert "missing events: " in str(drifted.value) and "invoice.paid" in str(drifted.value)
    assert "events no handler handles: charge.failed" in str(drifted.value)

    setup(URL)
    assert sorted(get_client().v1.webhook_endpoints.retrieve(endpoint.id).enabled_events) == handled_event_types()
    assert "is up to date" in setup(URL, "--check")


def test_an_endpoint_of_another_version_is_reported_then_replaced(stripe_fake_server, settings):
    old = get_client().v1.webhook_endpoints.create({"url": URL, "enabled_events": ["*"], "api_version": "2024-06-20"})
    assert version_warnings() == [
        f"The Stripe webhook endpoint {old.id} ({URL}) sends events at API version 2024-06-20, not the pinned "
        f"{api_version()}: each of its events costs a read from Stripe to be applied."
    ]
    with pytest.raises(CommandError, match="API version 2024-06-20, not "):
        setup(URL, "--check")

    out = setup(URL)
    assert f"{old.id} on the same URL is of API version 2024-06-20: delete it once" in out
    assert "is up to date" in setup(URL, "--check")  # the new one, at the pinned version
    get_client().v1.webhook_endpoints.delete(old.id)
    assert version_warnings() == []


def test_no_endpoint_on_the_url_is_a_clean_error(stripe_fake_server):
    with pytest.raises(CommandError, match="No Stripe webhook endpoint on https://shop.example/api/webhook/"):
        setup(URL, "--check")


@pytest.mark.parametrize("url", ["not a url", "ftp://shop.example/hook", "https://", "http://[::1"])
def test_a_bad_url_is_a_clean_error_before_any_request(stripe_fake_server, url):
    with pytest.raises(CommandError, match="Not an http"):
        setup(url)
    assert endpoints() == []


def test_stripe_unreachable_is_a_clean_error_and_a_warning(stripe_fake_server, settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CommandError, match="Stripe is unreachable"):
        setup(URL)
    (warning,) = version_warnings()
    assert warning.startswith("Could not list the Stripe webhook endpoints")


def test_the_version_check_never_runs_without_deploy(stripe_fake_server):
    get_client().v1.webhook_endpoints.create({"url": URL, "enabled_events": ["*"], "api_version": "2024-06-20"})
    assert "django_stripe.W009" not in [message.id for message in checks.run_checks()]
