"""Stripe answering 429 or 500 in the middle of a write through the REST API.

Every write endpoint is run with the k-th of its Stripe requests failing, for every k (SDK retries off, so the
fault reaches the view). The user gets a 503 with a message; the mirror holds exactly what Stripe holds for
every object the write touched (a step that Stripe applied before the failure is mirrored, nothing else
moved); no object is half-created; the events Stripe sent meanwhile change nothing once delivered; and the same
request, sent again, succeeds. tests/api/test_writes.py has the single-step case (subscribe, first request).

With the SDK's retries on (the default, 2), transient 500s are absorbed: one subscription, not two (the SDK
sends an idempotency key, and the fake replays the first answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import MIRRORED_MODELS, Customer, WebhookEvent
from tests.webhooks.lifecycle import mirror_differences

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Stripe could not be reached"


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: dict[str, Any] | None
    stripe_requests: int  # how many Stripe API requests it makes when all goes well
    success: int = 200
    # Reads after the write that may fail without failing it: a subscription write reads the customer's
    # entitlements back.
    reads_after: int = 0


WRITES = {
    "subscribe, card made the default": Write(
        "post", "/api/subscriptions/",
        {"price_id": "{silver}", "default_payment_method": "{card2}", "set_as_default_payment_method": True}, 2, 201,
        reads_after=1,
    ),
    "cancel at period end": Write("put", "/api/subscriptions/{sub}/", {"cancel_at_period_end": True}, 1),
    "swap price and quantity": Write(
        "put", "/api/subscriptions/{sub}/", {"price_id": "{yearly}", "quantity": 3}, 1, reads_after=1
    ),
    "subscription card, made the default": Write(
        "put", "/api/subscriptions/{sub}/",
        {"default_payment_method": "{card2}", "set_as_default_payment_method": True}, 2,
    ),
    "cancel now": Write("delete", "/api/subscriptions/{sub}/", None, 1, reads_after=1),
    "card details, made the default": Write(
        "put", "/api/payment-methods/{card2}/", {"set_as_default": True, "billing_details": {"name": "J. Doe"}}, 2
    ),
    "detach a card": Write("delete", "/api/payment-methods/{card2}/", None, 1, 204),
    "detach every card": Write("delete", "/api/payment-methods/*/", None, 2, 204),
    "setup intent": Write("post", "/api/setup-intents/", None, 1, 201),
    "checkout": Write("post", "/api/checkout/{silver}/", None, 1, 201),
    # The library's portal configuration is looked for, then made, the first time.
    "billing portal": Write("post", "/api/billing/", None, 3, 201),
}  # fmt: skip

CASES = [
    pytest.param(name, failing, status, id=f"{name}-request{failing}-{status}")
    for name, write in WRITES.items()
    for failing in range(1, write.stripe_requests + 1)
    for status in (429, 500)
]


def saved_card(user, card: str) -> str:
    setup_intent = payments.create_setup_intent(user)
    return get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": card}).payment_method


@pytest.fixture
def world(synced_fake, catalogue, make_user):
    user = make_user()
    card = saved_card(user, "pm_card_visa")
    card2 = saved_card(user, "pm_card_mastercard")
    subscription = payments.create_subscription(user, catalogue["monthly"], default_payment_method=card)
    silver = get_client().v1.products.create(params={"name": "Silver"})
    other = get_client().v1.prices.create(
        params={"product": silver.id, "currency": "usd", "unit_amount": 500, "recurring": {"interval": "month"}}
    )
    client = APIClient()
    client.force_authenticate(user)
    return {"client": client, "sub": subscription.id, "card": card, "card2": card2, "silver": other.id, **catalogue}


def send(world, write: Write):
    path = write.path.format(**world)
    body = {
        key: value.format(**world) if isinstance(value, str) else value for key, value in (write.body or {}).items()
    }
    return getattr(world["client"], write.method)(path, body or None, format="json")


class RequestCounter:
    """Counts the API requests that reach the fake (both transports call `fake.handle`)."""

    def __init__(self, fake) -> None:
        self.count = 0
        original = fake.handle

        def counted(method, path, *args, **kwargs):
            if path.startswith("/v1/"):
                self.count += 1
            return original(method, path, *args, **kwargs)

        self.patch = mock.patch.object(fake, "handle", side_effect=counted)

    def __enter__(self):
        self.patch.start()
        return self

    def __exit__(self, *exc):
        self.patch.stop()


def fake_objects(fake) -> dict[str, dict]:
    """Every mirrorable object the fake holds, by id."""
    found = {}
    for model in MIRRORED_MODELS:
        for row in model.objects.all():
            found[row.id] = fake.get(row.id)
    return found


def mirror_rows() -> dict[str, tuple]:
    return {
        row.id: (row.synced_at, row.stripe_data, row.deleted)
        for model in MIRRORED_MODELS
        for row in model.objects.all()
    }


def as_events(objects) -> list[dict]:
    return [{"data": {"object": obj}} for obj in objects if obj is not None]


class Announced:
    """The fake's objects as its events announced them: creating an invoice moves the customer's
    `next_invoice_sequence` without a customer.updated, so no webhook can bring that field to the mirror
    (only a fetch, or the nightly backfill, does); it is taken from the mirror when comparing."""

    def __init__(self, fake) -> None:
        self.fake = fake

    def get(self, object_id: str) -> dict | None:
        obj = self.fake.get(object_id)
        if obj and obj.get("object") == "customer":
            row = Customer.objects.filter(pk=object_id).first()
            if row is not None and "next_invoice_sequence" in row.stripe_data:
                obj = {**obj, "next_invoice_sequence": row.stripe_data["next_invoice_sequence"]}
        return obj


def everything_mirrored_as_at_stripe(fake) -> list[str]:
    return mirror_differences(Announced(fake), as_events(fake_objects(fake).values()))


@pytest.mark.parametrize(("name", "failing", "status"), CASES)
def test_a_write_failing_at_stripe_midway_is_a_503_and_the_mirror_matches_stripe(
    world, synced_fake, settings, name, failing, status
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    write = WRITES[name]
    fake = synced_fake
    fake.delivery_mode = "queued"  # the events this write causes wait: the mirror holds what the request wrote
    objects_before, rows_before = fake_objects(fake), mirror_rows()
    subscriptions_before = {s.id for s in get_client().v1.subscriptions.list({"status": "all"}).auto_paging_iter()}

    fake.fail_next(failing - 1, status=None)  # the requests before the k-th are answered normally
    fake.fail_next(1, status=status)
    response = send(world, write)

    assert response.status_code == 503, response.content
    detail = response.json()["detail"]
    assert detail.startswith(UNAVAILABLE) and "Nothing was changed" not in detail, detail
    assert fake.pending_faults() == 0, "the write made fewer Stripe requests than expected"
    # Nothing half-created: no new subscription at Stripe, nor in the mirror.
    subscriptions = {s.id for s in get_client().v1.subscriptions.list({"status": "all"}).auto_paging_iter()}
    assert subscriptions == subscriptions_before
    # What Stripe changed before the failure is mirrored; what it did not change, the mirror did not either.
    changed = [object_id for object_id, obj in objects_before.items() if fake.get(object_id) != obj]
    assert mirror_differences(fake, as_events(fake.get(object_id) for object_id in changed)) == []
    rows_after = mirror_rows()
    assert {i: rows_after.get(i) for i in rows_before if i not in changed} == {
        i: row for i, row in rows_before.items() if i not in changed
    }
    if failing == 1:
        assert changed == []  # a failing first request leaves Stripe untouched

    # The events Stripe sent meanwhile agree with the mirror; the same request sent again goes through.
    fake.deliver_queued()
    assert not WebhookEvent.objects.exclude(status__in=("processed", "ignored")).exists()
    with RequestCounter(fake) as counter:
        retried = send(world, write)
    assert retried.status_code == write.success, retried.content
    # (All of them, or fewer when the failed attempt had done part of the work: "detach every card" resumes.)
    assert 1 <= counter.count <= write.stripe_requests + write.reads_after
    fake.deliver_queued()
    assert everything_mirrored_as_at_stripe(fake) == []


def test_transient_500s_are_absorbed_by_the_sdks_retries_without_a_duplicate(world, synced_fake, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    synced_fake.fail_next(2, status=500)
    write = WRITES["subscribe, card made the default"]
    response = send(world, write)
    assert response.status_code == 201, response.content
    mine = get_client().v1.subscriptions.list({"customer": world["client"].handler._force_user.stripe_customer_id})
    assert sorted(s.id for s in mine.data) == sorted([world["sub"], response.json()["id"]])


def test_a_declined_card_is_a_402_and_leaves_no_subscription(world, synced_fake, settings):
    user = world["client"].handler._force_user
    declined = get_client().v1.payment_methods.attach(
        "pm_card_chargeDeclined", params={"customer": user.stripe_customer_id}
    )
    synced_fake.deliver_queued()
    response = world["client"].post(
        "/api/subscriptions/",
        {"price_id": world["silver"], "default_payment_method": declined.id, "set_as_default_payment_method": True},
        format="json",
    )
    assert response.status_code == 402
    assert "declined" in response.json()["detail"].lower()
    assert [s.id for s in get_client().v1.subscriptions.list({"customer": user.stripe_customer_id}).data] == [
        world["sub"]
    ]
    assert everything_mirrored_as_at_stripe(synced_fake) == []
