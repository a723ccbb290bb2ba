import pytest
from django.core import checks
from django.test import override_settings

from django_stripe.checks import user_model_messages


def check_ids(**settings):
    """The ids of what django-stripe's checks report under these settings."""
    with override_settings(**settings):
        return {
            message.id
            for check in checks.registry.registry.get_checks()
            if check.__module__ == "django_stripe.checks"
            for message in check(app_configs=None)
        }


@pytest.fixture(autouse=True)
def no_keys_in_environment(monkeypatch):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"):
        monkeypatch.delenv(name, raising=False)


CONFIGURED = {
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
}


def test_configured_project_is_clean():
    assert check_ids(**CONFIGURED) == set()


def test_missing_secret_key_warns():
    assert "django_stripe.W001" in check_ids(**{**CONFIGURED, "STRIPE_SECRET_KEY": None})


@pytest.mark.parametrize(("secret", "publishable"), [("sk_live_a", "pk_test_a"), ("sk_test_a", "pk_live_a")])
def test_keys_of_different_modes_are_an_error(secret, publishable):
    ids = check_ids(**{**CONFIGURED, "STRIPE_SECRET_KEY": secret, "STRIPE_PUBLISHABLE_KEY": publishable})
    assert "django_stripe.E001" in ids


def test_restricted_key_counts_as_its_mode():
    ids = check_ids(**{**CONFIGURED, "STRIPE_SECRET_KEY": "rk_live_a", "STRIPE_PUBLISHABLE_KEY": "pk_live_a"})
    assert "django_stripe.E001" not in ids


def test_missing_webhook_secret_warns():
    assert "django_stripe.W002" in check_ids(**{**CONFIGURED, "STRIPE_WEBHOOK_SECRET": None})


@pytest.mark.parametrize("tolerance", [0, -1, "300", True, 3601, 100000, 300.0])
def test_a_webhook_tolerance_that_is_no_int_from_1_to_3600_is_an_error(tolerance):
    assert "django_stripe.E005" in check_ids(**CONFIGURED, STRIPE_WEBHOOK_TOLERANCE=tolerance)


@pytest.mark.parametrize("tolerance", [1, 300, 3600, None])
def test_a_webhook_tolerance_from_1_to_3600_or_unset_is_clean(tolerance):
    assert "django_stripe.E005" not in check_ids(**CONFIGURED, STRIPE_WEBHOOK_TOLERANCE=tolerance)


def test_user_model_without_customer_id_is_an_error():
    assert "django_stripe.E002" in check_ids(**CONFIGURED, AUTH_USER_MODEL="auth.User")


def test_api_urls_without_rest_framework_is_an_error(settings):
    apps = [app for app in settings.INSTALLED_APPS if app not in {"rest_framework", "drf_spectacular"}]
    with override_settings(INSTALLED_APPS=apps):
        assert "django_stripe.E003" in check_ids(**CONFIGURED)


class ReadOnlyCustomerId:
    customer_id = None

    @property
    def stripe_customer_id(self):
        return self.customer_id


class WritableCustomerId(ReadOnlyCustomerId):
    @ReadOnlyCustomerId.stripe_customer_id.setter
    def stripe_customer_id(self, value):
        self.customer_id = value


def test_a_read_only_customer_id_property_is_an_error():
    assert [message.id for message in user_model_messages(ReadOnlyCustomerId)] == ["django_stripe.E004"]
    assert user_model_messages(WritableCustomerId) == []
