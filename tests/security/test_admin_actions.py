"""ATTACK: a staff member who may only look at the mirror's admin pages (the view permission) runs its actions:
"Replay the selected events", which runs the project's own webhook handlers again, and "Refresh ... from
Stripe", which writes into the mirror. Through the admin's real views (Django's test client: the changelist
page, then its action form posted as the "Go" button does).

Before, the actions were offered to, and run for, anyone who could view the page. Now each asks for the model's
change permission (`django_stripe.change_webhookevent`, `django_stripe.change_customer`, ...): a view-only user
is offered no action, and posting one changes nothing; a user with the change permission runs them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_stripe import models
from django_stripe.client import get_client
from django_stripe.webhooks import webhook_handler
from django_stripe.webhooks.registry import unregister
from tests.webhooks.events import stored

pytestmark = pytest.mark.django_db

EVENT_TYPE = "customer.created"


def staff(client, username: str, *codenames: str):
    """A staff member with only these permissions, logged in."""
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    granted = Permission.objects.filter(content_type__app_label="django_stripe", codename__in=codenames)
    user.user_permissions.set(granted)
    client.force_login(user)
    return client


def changelist(model) -> str:
    return reverse(f"admin:django_stripe_{model._meta.model_name}_changelist")


def offered_actions(client, model) -> str:
    page = client.get(changelist(model))
    assert page.status_code == 200  # the page itself is theirs to see
    return page.content.decode()


def post_action(client, model, action: str, ids: list[str]):
    return client.post(changelist(model), {"action": action, "_selected_action": ids}, follow=True)


@pytest.fixture
def lost_customer_update(synced_fake):
    """A customer mirrored by its webhook, then changed at Stripe by an update whose webhook is lost."""
    customer = get_client().v1.customers.create(params={"email": "before@example.com"})
    synced_fake.delivery_mode = "queued"
    get_client().v1.customers.update(customer.id, params={"email": "after@example.com"})
    return customer.id


@pytest.fixture
def handler_runs():
    """The project's own handler of customer.created: what each replay runs again."""
    runs: list[str] = []

    @webhook_handler(EVENT_TYPE)
    def count(event):
        runs.append(event.id)

    yield runs
    unregister(count)


def test_a_view_only_staff_member_can_neither_see_nor_run_the_replay(client, handler_runs):
    event = stored(EVENT_TYPE, {"id": "cus_replayed", "object": "customer", "email": "x@example.com"})
    viewer = staff(client, "viewer", "view_webhookevent")

    assert 'value="replay_events"' not in offered_actions(viewer, models.WebhookEvent)
    post_action(viewer, models.WebhookEvent, "replay_events", [event.id])

    event.refresh_from_db()
    assert (event.status, event.attempts) == ("pending", 0)
    assert handler_runs == []
    assert not models.Customer.objects.filter(id="cus_replayed").exists()


def test_a_view_only_staff_member_can_neither_see_nor_run_a_refresh(client, lost_customer_update):
    viewer = staff(client, "viewer", "view_customer")

    assert 'value="refresh_from_stripe"' not in offered_actions(viewer, models.Customer)
    post_action(viewer, models.Customer, "refresh_from_stripe", [lost_customer_update])

    assert models.Customer.objects.get(id=lost_customer_update).email == "before@example.com"


def test_the_change_permission_runs_both_actions(client, lost_customer_update, handler_runs):
    event = stored(EVENT_TYPE, {"id": "cus_replayed", "object": "customer", "email": "x@example.com"})
    editor = staff(client, "editor", "view_webhookevent", "change_webhookevent", "view_customer", "change_customer")

    assert 'value="replay_events"' in offered_actions(editor, models.WebhookEvent)
    assert 'value="refresh_from_stripe"' in offered_actions(editor, models.Customer)
    post_action(editor, models.WebhookEvent, "replay_events", [event.id])
    post_action(editor, models.Customer, "refresh_from_stripe", [lost_customer_update])

    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert handler_runs == [event.id]
    assert models.Customer.objects.get(id=lost_customer_update).email == "after@example.com"
