"""ATTACK: a user wanting to change what they are billed for usage. Usage is the server's to report: no URL
(REST endpoint, portal page, webhook without Stripe's signature) writes a usage report, whatever it is sent; and
`report_usage` bills only the billable it is given, by that billable's own customer: nothing that is not a saved
billable (a customer id, an unsaved or anonymous user, a look-alike object) reports for anyone."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver

from django_stripe import payments
from django_stripe.exceptions import StripeCustomerMissing
from django_stripe.models import UsageReport
from tests.billables import billable_of
from tests.usage.conftest import EVENT_NAME, create_meter
from tests.usage.conftest import customer_user as customer_user  # the fixture

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def every_path(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the project, each argument filled in."""
    paths = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if route.startswith("^"):  # a regex route (the admin's): a plain path of its pattern
            route = route.strip("^$").replace("\\", "")
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "usage", route)
        route = CONVERTER.sub("usage", route)
        if isinstance(entry, URLResolver):
            paths += every_path(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def test_no_url_writes_usage_whatever_it_is_sent(stripe_fake, customer_user, client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_usage_attack"
    user = customer_user()
    client.force_login(user)
    client.raise_request_exception = False
    customer_id = billable_of(user).stripe_customer_id
    body = {
        "event_name": EVENT_NAME, "value": -1000, "identifier": "forged", "customer": customer_id,
        "stripe_customer_id": customer_id, "payload": {"value": "-1000"},
    }  # fmt: skip
    paths = every_path()
    assert "/api/subscriptions/" in paths and len(paths) > 20
    for path in paths:
        for method in ("post", "put", "patch", "delete"):
            getattr(client, method)(path, json.dumps(body), content_type="application/json")
        client.post(path, body)  # a form too
    assert not UsageReport.objects.exists()
    assert stripe_fake.usage.counted == {} and stripe_fake.usage.pending == []


def test_a_report_bills_the_billables_own_customer(customer_user):
    alice, bob = customer_user("alice"), customer_user("bob")
    payments.report_usage(billable_of(alice), EVENT_NAME, 7)
    row = UsageReport.objects.get()
    assert row.customer_id == billable_of(alice).stripe_customer_id != billable_of(bob).stripe_customer_id


@pytest.mark.parametrize(
    "make_impostor",
    [
        pytest.param(lambda victim: billable_of(victim).stripe_customer_id, id="the victim's customer id"),
        pytest.param(
            lambda victim: SimpleNamespace(stripe_customer_id=billable_of(victim).stripe_customer_id, pk=1),
            id="a look-alike",
        ),
        pytest.param(
            lambda victim: type(victim)(username="unsaved", stripe_customer_id=billable_of(victim).stripe_customer_id),
            id="unsaved",
        ),
        pytest.param(lambda victim: AnonymousUser(), id="anonymous"),
        pytest.param(lambda victim: None, id="none"),
    ],
)
def test_nothing_but_a_saved_billable_reports_usage(customer_user, make_impostor):
    victim = customer_user("victim")
    with pytest.raises(StripeCustomerMissing):
        payments.report_usage(make_impostor(victim), EVENT_NAME, 1000)
    assert not UsageReport.objects.exists()


def test_an_error_report_marks_only_the_rows_it_names(synced_fake, customer_user, django_capture_on_commit_callbacks):
    """A report (signed by Stripe: a forged one never gets past the endpoint) naming identifiers this outbox does
    not have changes nothing; the rows it names become refused, no other."""

    meter = create_meter()
    user = customer_user()
    payments.report_usage(billable_of(user), EVENT_NAME, identifier="mine")
    payments.report_usage(billable_of(user), EVENT_NAME, identifier="untouched")
    report = {
        "object": "billing.meter_error_report", "meter": meter.id,
        "reason": {"error_count": 2, "error_types": [{"code": "meter_event_customer_not_found", "error_count": 2,
            "sample_errors": [{"error_message": "No such customer", "request": {"identifier": "mine"}},
                              {"error_message": "No such customer", "request": {"identifier": "someone-elses"}}]}]},
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True), synced_fake.locked():
        synced_fake.emit("v1.billing.meter.error_report_triggered", report)  # delivered as the lock is left
    states = dict(UsageReport.objects.values_list("identifier", "state"))
    assert states == {"mine": "refused", "untouched": "pending"}
