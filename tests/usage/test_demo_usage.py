"""The demo's metered price "API calls" and its button: the first press subscribes, each press reports ten
calls, and the subscription page shows them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_stripe.client import get_client
from django_stripe.models import BillingMeter, Price, UsageReport
from django_stripe.testing.demo import seed_demo_meter

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_button_subscribes_once_and_reports_ten_calls_a_press(delivered, client):
    seeded = seed_demo_meter(get_client())
    assert BillingMeter.objects.get(pk=seeded["meter"].id).event_name == "api_calls"
    assert Price.objects.get(pk=seeded["price"].id).usage_type == "metered"
    customer = get_client().v1.customers.create(params={"email": "demo@example.com"})
    user = get_user_model().objects.create(username="demo", stripe_customer_id=customer.id)
    client.force_login(user)
    # Delivered after each press, not during it: on SQLite a webhook written while the press holds the
    # database's write lock (the subscription it starts) would wait for it.
    delivered.delivery_mode = "queued"
    for _ in range(2):
        assert client.post("/demo/api-calls/").status_code == 302
        delivered.deliver_queued()
    assert list(UsageReport.objects.values_list("value", flat=True)) == [10, 10]
    subscriptions = get_client().v1.subscriptions.list(params={"customer": customer.id}).data
    assert [item.price.id for item in subscriptions[0]["items"]["data"]] == [seeded["price"].id]
    assert len(subscriptions) == 1
    page = client.get("/subscriptions/").content.decode()
    assert "<td data-ds-usage-value>20</td>" in page and "data-ds-report-usage" in page


def test_the_button_takes_no_get(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="demo"))
    assert client.get("/demo/api-calls/").status_code == 405
