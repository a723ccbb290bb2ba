"""The plan change page (`subscription-change`) and the pending change on the subscription page (issue 24).
Marked "needs E" / "needs F": the fake's previews and schedules, the mirror of schedules (parts E and F)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_stripe.client import get_client
from django_stripe.models import Subscription

from .conftest import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_pro(user, plans):
    """Alice on Pro ($15/month); the demo's Starter is $5/month, Pro yearly $150/year."""
    starter, pro, yearly = plans["prices"]
    subscription = subscribe(user, pro)
    return {"id": subscription.id, "starter": starter, "pro": pro, "yearly": yearly}


def change_url(sub_id: str) -> str:
    return reverse("subscription-change", args=[sub_id])


def price_of(sub_id: str) -> str:
    return Subscription.objects.get(id=sub_id).items.get(deleted=False).price_id


def test_the_page_offers_the_plans_and_marks_the_current_one(logged_in, on_pro):
    response = logged_in.get(change_url(on_pro["id"]))
    assert response.status_code == 200
    assert [price["id"] for price in response.context["prices"]] == [on_pro["starter"], on_pro["pro"], on_pro["yearly"]]
    assert response.context["current"] == {"price": on_pro["pro"], "quantity": 1}
    assert "preview" not in response.context and "(your plan)" in response.content.decode()


def test_another_users_subscription_is_not_found(client, make_user, on_pro):
    client.force_login(make_user("mallory"))
    assert client.get(change_url(on_pro["id"])).status_code == 404
    assert client.post(change_url(on_pro["id"]), {"price": on_pro["starter"]}).status_code == 404
    assert client.get(change_url("sub_nope")).status_code == 404
    assert price_of(on_pro["id"]) == on_pro["pro"]


def test_an_upgrade_confirmed_applies_and_goes_back_to_the_subscription(logged_in, on_pro):
    response = logged_in.post(change_url(on_pro["id"]), {"price": on_pro["pro"], "quantity": "3"})
    assert response.status_code == 302 and response["Location"] == reverse("subscription-history")
    assert Subscription.objects.get(id=on_pro["id"]).items.get(deleted=False).quantity == 3


def test_a_refused_change_is_said_on_the_page(logged_in, on_pro):
    get_client().v1.prices.update(on_pro["starter"], params={"active": False})
    response = logged_in.post(change_url(on_pro["id"]), {"price": on_pro["starter"]})
    assert response.status_code == 400
    assert "no longer available" in response.context["error"]
    assert price_of(on_pro["id"]) == on_pro["pro"]


def test_the_subscription_page_links_to_the_change(logged_in, on_pro):
    html = logged_in.get(reverse("subscription-history")).content.decode()
    assert change_url(on_pro["id"]) in html and "Changes to" not in html


def test_the_preview_says_what_is_due_now_and_at_the_renewal(logged_in, on_pro):
    response = logged_in.get(change_url(on_pro["id"]), {"price": on_pro["pro"], "quantity": "2"})
    preview = response.context["preview"]
    assert preview["due_now"].startswith("$") and preview["next_renewal"] == "$30.00"
    assert preview["waits_for_renewal"] is False
    period_end = Subscription.objects.get(id=on_pro["id"]).current_period_end
    assert preview["at_renewal"] == period_end
    assert "Confirm the change" in response.content.decode()


def test_a_downgrade_waits_and_the_subscription_page_says_so(logged_in, on_pro):
    preview = logged_in.get(change_url(on_pro["id"]), {"price": on_pro["starter"]}).context["preview"]
    assert (preview["due_now"], preview["next_renewal"], preview["waits_for_renewal"]) == ("$0.00", "$5.00", True)
    assert logged_in.post(change_url(on_pro["id"]), {"price": on_pro["starter"]}).status_code == 302
    assert price_of(on_pro["id"]) == on_pro["pro"]  # until the renewal
    response = logged_in.get(reverse("subscription-history"))
    change = response.context["subscription"]["scheduled_change"]
    assert change["product_name"] == "Django Stripe Pro" and change["quantity"] == 1
    html = response.content.decode()
    assert f"Changes to Django Stripe Pro ($5.00 / month) on {change['at']:%-d %b}" in html
    assert 'data-ds-action="cancel-change"' in html
