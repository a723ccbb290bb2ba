import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_stripe import models
from django_stripe.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", [*models.MIRRORED_MODELS, models.WebhookEvent, models.SyncCursor])
def test_changelist_renders_and_is_read_only(admin_client, model):
    url = reverse(f"admin:django_stripe_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    add = reverse(f"admin:django_stripe_{model._meta.model_name}_add")
    assert admin_client.get(add).status_code == 403


def test_customer_search_by_email(admin_client):
    factories.CustomerFactory(payload__email="findme@example.com")
    factories.CustomerFactory(payload__email="other@example.com")
    url = reverse("admin:django_stripe_customer_changelist")
    response = admin_client.get(url, {"q": "findme"})
    assert b"findme@example.com" in response.content
    assert b"other@example.com" not in response.content
