import pytest
import stripe
from django.test import override_settings

from django_stripe.client import api_version, get_client
from django_stripe.exceptions import StripeNotConfigured


@override_settings(STRIPE_SECRET_KEY="sk_test_123", STRIPE_API_BASE="http://127.0.0.1:12111")
def test_client_uses_key_base_and_pinned_version():
    client = get_client()
    options = client._requestor._options
    assert options.api_key == "sk_test_123"
    assert options.base_addresses["api"] == "http://127.0.0.1:12111"
    assert options.stripe_version == stripe.api_version == api_version()


def test_key_is_read_at_call_time_and_module_globals_untouched():
    with override_settings(STRIPE_SECRET_KEY="sk_test_one"):
        first = get_client()
    with override_settings(STRIPE_SECRET_KEY="sk_test_two"):
        second = get_client()
    assert first._requestor._options.api_key == "sk_test_one"
    assert second._requestor._options.api_key == "sk_test_two"
    assert stripe.api_key is None
    assert stripe.api_base == "https://api.stripe.com"


@override_settings(STRIPE_SECRET_KEY="sk_test_1", STRIPE_API_VERSION="2025-03-31.basil")
def test_api_version_can_be_pinned():
    assert get_client()._requestor._options.stripe_version == "2025-03-31.basil"
    assert api_version() == "2025-03-31.basil"


def test_same_configuration_reuses_one_client():
    with override_settings(STRIPE_SECRET_KEY="sk_test_same"):
        assert get_client() is get_client()


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with override_settings(STRIPE_SECRET_KEY=None), pytest.raises(StripeNotConfigured, match="STRIPE_SECRET_KEY"):
        get_client()
