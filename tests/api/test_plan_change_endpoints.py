"""The plan change endpoints (issue 24): preview, change, the scheduled change, pause and unpause, against the
fake Stripe. Marked "needs E" / "needs F": the fake's previews, schedules and pauses, the mirror of schedules."""

from __future__ import annotations

import pytest

from django_stripe.client import get_client

from .test_writes import api_client, saved_card, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_gold(synced_fake, catalogue, make_user):
    """A client of a user on Gold monthly ($10), a cheaper Starter ($5) and a dearer Premium ($50)."""
    user = make_user()
    subscription = subscribe(user, catalogue["monthly"], saved_card(user))
    product = get_client().v1.products.create(params={"name": "Starter"}).id
    prices = {
        name: get_client()
        .v1.prices.create(
            params={"product": product, "currency": "usd", "unit_amount": amount, "recurring": {"interval": "month"}}
        )
        .id
        for name, amount in (("starter", 500), ("premium", 5000))
    }
    return api_client(user), subscription["id"], {**catalogue, **prices}


@pytest.mark.parametrize(
    "body",
    [{}, {"price": ""}, {"quantity": 0}, {"quantity": "many"}, {"quantity": 2, "proration_behavior": "none"}],
)
@pytest.mark.parametrize("action", ["preview", "change"])
def test_a_plan_change_body_is_checked(on_gold, body, action):
    client, sub_id, _ = on_gold
    answer = client.post(f"/api/subscriptions/{sub_id}/{action}/", body, format="json")
    assert answer.status_code == 400, answer.content


@pytest.mark.parametrize("action", ["pause", "unpause"])
def test_a_pause_takes_no_behavior_of_the_clients(on_gold, action):
    client, sub_id, _ = on_gold
    answer = client.post(f"/api/subscriptions/{sub_id}/{action}/", {"behavior": "keep_as_draft"}, format="json")
    assert answer.status_code == 400 and "behavior" in answer.json()


def test_the_subscription_shape_says_whether_a_change_waits_and_whether_paused(on_gold):
    client, sub_id, _ = on_gold
    shown = client.get(f"/api/subscriptions/{sub_id}/").json()
    assert (shown["scheduled_change"], shown["paused"]) == (None, False)
    [listed] = client.get("/api/subscriptions/").json()
    assert (listed["scheduled_change"], listed["paused"]) == (None, False)


def test_an_upgrade_over_rest_applies_now(on_gold):
    client, sub_id, prices = on_gold
    answer = client.post(f"/api/subscriptions/{sub_id}/change/", {"price": prices["premium"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["price"], answer.json()["scheduled_change"]) == (prices["premium"], None)


def test_nothing_to_cancel_is_a_400(on_gold):
    client, sub_id, _ = on_gold
    assert client.delete(f"/api/subscriptions/{sub_id}/scheduled-change/").status_code == 400


def test_a_preview_over_rest(on_gold):
    client, sub_id, prices = on_gold
    answer = client.post(f"/api/subscriptions/{sub_id}/preview/", {"price": prices["premium"]}, format="json")
    assert answer.status_code == 200, answer.content
    preview = answer.json()
    assert set(preview) == {"due_now", "next_renewal", "currency", "at_renewal", "is_downgrade", "lines"}
    assert preview["is_downgrade"] is False and preview["due_now"] > 0 and preview["next_renewal"] == 5000
    assert preview["at_renewal"] == client.get(f"/api/subscriptions/{sub_id}/").json()["current_period_end"]
    assert {"amount", "description", "proration", "period_start", "period_end"} == set(preview["lines"][0])


def test_a_downgrade_over_rest_is_scheduled_and_can_be_cancelled(on_gold):
    client, sub_id, prices = on_gold
    period_end = client.get(f"/api/subscriptions/{sub_id}/").json()["current_period_end"]
    answer = client.post(f"/api/subscriptions/{sub_id}/change/", {"price": prices["starter"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["price"] == prices["monthly"]  # unchanged until the renewal
    assert answer.json()["scheduled_change"] == {"price": prices["starter"], "quantity": 1, "at": period_end}
    cancelled = client.delete(f"/api/subscriptions/{sub_id}/scheduled-change/")
    assert cancelled.status_code == 200 and cancelled.json()["scheduled_change"] is None


def test_pause_and_unpause_over_rest(on_gold):
    client, sub_id, _ = on_gold
    paused = client.post(f"/api/subscriptions/{sub_id}/pause/")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert paused.json()["status"] == "active"
    unpaused = client.post(f"/api/subscriptions/{sub_id}/unpause/")
    assert unpaused.status_code == 200 and unpaused.json()["paused"] is False
