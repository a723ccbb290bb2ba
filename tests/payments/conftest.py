import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def make_user(db):
    def make(username="alice", **fields):
        return get_user_model().objects.create_user(username=username, password="pw", **fields)

    return make
