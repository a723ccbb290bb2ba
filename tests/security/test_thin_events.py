"""Attacks on the thin-event path, over real HTTP to a live server: a notification names an object and the
worker reads it from Stripe, so what it names, and who signed it, is what an attacker would play with.

A forged, tampered or replayed signature is refused (400, no row); a duplicate is one row, applied once; a
notification of the other mode or of a connected account is refused; one naming an object this account's
Stripe does not give (another account's) or naming it as another type writes nothing; a malformed one is
a 400, never a 500.
"""

from __future__ import annotations

import json
import time

import pytest

from django_stripe.client import get_client
from django_stripe.models import MIRRORED_MODELS, Customer, Subscription, WebhookEvent
from tests.webhooks.conftest import SECRET, post, sign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(live_server, settings, stripe_fake):
    settings.STRIPE_WEBHOOK_SECRET = [SECRET]
    return live_server.url + "/api/webhook/"


def thin(event_type: str, object_type: str, object_id: str, **fields) -> dict:
    """A notification as an event destination sends it."""
    return {
        "id": fields.pop("id", f"evt_test_thin_{object_id}_{event_type}"),
        "object": "v2.core.event",
        "type": event_type,
        "created": "2026-12-08T02:00:00.000Z",
        "livemode": False,
        "related_object": {"id": object_id, "type": object_type, "url": f"/v1/{object_type}s/{object_id}"},
        **fields,
    }


def send(endpoint: str, payload: dict, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(payload).encode()
    return post(endpoint, body, {"Stripe-Signature": sign(body, secret, timestamp)})


def mirror_rows() -> int:
    return sum(model.objects.count() for model in MIRRORED_MODELS)


def a_customer() -> str:
    return get_client().v1.customers.create({"email": "victim@example.com"}).id


def test_a_forged_signature_is_refused(endpoint):
    response = send(endpoint, thin("v1.customer.updated", "customer", a_customer()), secret="whsec_attacker")
    assert (response.status, response.body) == (400, "bad signature")
    assert WebhookEvent.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(endpoint):
    genuine = json.dumps(thin("v1.customer.updated", "customer", a_customer())).encode()
    forged = genuine.replace(b'"customer"', b'"subscription"', 1)
    assert post(endpoint, forged, {"Stripe-Signature": sign(genuine)}).status == 400
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("age", [-3600, 3600])  # captured an hour ago; signed for an hour ahead
def test_a_replayed_notification_is_refused(endpoint, age):
    response = send(endpoint, thin("v1.customer.updated", "customer", a_customer()), timestamp=int(time.time()) - age)
    assert response.status == 400 and "tolerance" in response.body
    assert WebhookEvent.objects.count() == 0


def test_a_notification_delivered_twice_is_applied_once(endpoint):
    customer = a_customer()
    notification = thin("v1.customer.updated", "customer", customer)
    assert [send(endpoint, notification).status for _ in range(3)] == [200, 200, 200]
    row = WebhookEvent.objects.get()
    assert (row.status, row.attempts) == ("processed", 1)
    assert Customer.objects.get(pk=customer).email == "victim@example.com"


def test_a_notification_of_the_other_mode_is_refused(endpoint):
    response = send(endpoint, thin("v1.customer.updated", "customer", a_customer(), livemode=True))
    assert response.status == 400 and "mode" in response.body
    assert WebhookEvent.objects.count() == 0


def test_a_notification_of_a_connected_account_is_refused(endpoint):
    response = send(endpoint, thin("v1.customer.updated", "customer", a_customer(), context="acct_1Other"))
    assert response.status == 400 and "connected account" in response.body
    assert WebhookEvent.objects.count() == 0 and mirror_rows() == 0


def test_a_notification_naming_another_accounts_object_writes_nothing(endpoint):
    """Not a connected account's (no context): our Stripe does not know the object, so nothing is mirrored,
    not even a tombstone an attacker could use to block the id."""
    assert (
        send(endpoint, thin("v1.customer.subscription.updated", "subscription", "sub_of_another_account")).status == 200
    )
    assert WebhookEvent.objects.get().status == "ignored"
    assert mirror_rows() == 0


@pytest.mark.parametrize("named_as", ["subscription", "price", "product", "invoice"])
def test_a_notification_naming_an_object_as_another_type_writes_nothing(endpoint, named_as):
    customer = a_customer()
    event_type = f"v1.{'customer.subscription' if named_as == 'subscription' else named_as}.updated"
    assert send(endpoint, thin(event_type, named_as, customer)).status == 200
    assert WebhookEvent.objects.get().status == "ignored"
    assert mirror_rows() == 0
    assert not Subscription.objects.filter(pk=customer).exists()


def test_a_related_type_the_mirror_never_reads_writes_nothing(endpoint):
    payload = thin("v1.customer.updated", "customer", "x", related_object={"id": "acct_1", "type": "../accounts"})
    assert send(endpoint, payload).status == 200
    assert WebhookEvent.objects.get().status == "ignored" and mirror_rows() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"created": 1796698321},  # a snapshot's integer in a notification
        {"created": "yesterday"},
        {"created": "2026-12-08T02:00:00"},  # no zone
        {"created": "0001-01-01T00:00:00-23:59"},  # before year 1 once in UTC
        {"related_object": "sub_1"},
        {"related_object": {"id": "sub_1"}},
        {"related_object": {"id": "s" * 300, "type": "subscription"}},
        {"context": 42},
        {"type": ""},
    ],
)
def test_a_malformed_notification_is_a_400(endpoint, change):
    response = send(endpoint, {**thin("v1.customer.updated", "customer", "cus_1"), **change})
    assert (response.status, response.body) == (400, "not a Stripe event")
    assert WebhookEvent.objects.count() == 0
