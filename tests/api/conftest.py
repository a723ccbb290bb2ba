import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient


@pytest.fixture
def make_client(db):
    """An API client logged in as a new user (with a Stripe customer id when given)."""

    def make(username="alice", customer_id=None):
        user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
        if customer_id:
            user.stripe_customer_id = customer_id
            user.save()
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return make
