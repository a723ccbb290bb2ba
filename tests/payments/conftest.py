import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def make_user(db):
    def make(username="alice", **fields):
        return get_user_model().objects.create_user(username=username, password="pw", **fields)

    return make


WEBHOOK_SECRET = "whsec_payments_tests"


@pytest.fixture
def synced_fake(stripe_fake, settings, client, django_capture_on_commit_callbacks):
    """The fake Stripe delivering its events, signed, to our webhook endpoint, so the mirror follows it."""
    from django.urls import reverse

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def receive(body: bytes, headers: dict[str, str]) -> int:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature")
        # The test's transaction never commits: run the endpoint's on-commit enqueue (eager Celery) now.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
        return response.status_code

    stripe_fake.add_webhook_endpoint(receive, WEBHOOK_SECRET)
    return stripe_fake


@pytest.fixture
def catalogue(synced_fake):
    """A product with a monthly and a yearly price at the fake, mirrored through webhooks."""
    from django_stripe.client import get_client

    client = get_client()
    product = client.v1.products.create(params={"name": "Gold"})
    monthly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}}
    )
    yearly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 10000, "recurring": {"interval": "year"}}
    )
    return {"product": product.id, "monthly": monthly.id, "yearly": yearly.id}
