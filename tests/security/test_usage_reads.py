"""Attacks on the usage reads: another user's usage, a write through the read-only endpoint, a forged meter
event about a customer, an anonymous read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.models import UsageReport
from tests.billables import billable_of

from ..usage.conftest import delivered, make_metered  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two(delivered):  # noqa: F811 (the fixture imported above)
    return make_metered(delivered, "alice"), make_metered(delivered, "mallory")


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_user_sees_only_their_own_usage(two):
    alice, mallory = two
    payments.report_usage(billable_of(alice.user), "api_calls", 40)
    payments.report_usage(billable_of(mallory.user), "api_calls", 1)
    [usage] = api_as(mallory.user).get("/api/usage/").json()
    assert usage["value"] == 1 and usage["price"]["id"] == mallory.price
    assert payments.usage(billable_of(mallory.user), alice.meter).value == 1  # the same meter: only mallory's customer


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_rest_method_writes_usage(two, method):
    _, mallory = two
    answer = getattr(api_as(mallory.user), method)("/api/usage/", {"event_name": "api_calls", "value": -1000})
    assert answer.status_code == 405
    assert not UsageReport.objects.exists()


def test_an_anonymous_read_is_refused(two):
    assert APIClient().get("/api/usage/").status_code in (401, 403)


def test_a_team_the_user_has_no_role_in_answers_404(two, settings):
    alice, mallory = two
    settings.STRIPE_BILLABLE_FOR_REQUEST = lambda request: billable_of(
        alice.user
    )  # a request acting for another billable
    assert api_as(mallory.user).get("/api/usage/").status_code == 404
