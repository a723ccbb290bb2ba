import pytest
from rest_framework.test import APIClient

from tests.billables import create_user, give_customer


@pytest.fixture
def make_client(db):
    """An API client logged in as a new user (with a Stripe customer id when given)."""

    def make(username="alice", customer_id=None):
        user = create_user(username, f"{username}@example.com", "pw")
        if customer_id:
            give_customer(user, customer_id)
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return make
