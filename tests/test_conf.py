import pytest
from django.test import override_settings

from django_stripe.conf import DEFAULTS, stripe_settings


def test_every_default_is_readable():
    for name, default in DEFAULTS.items():
        if name not in {"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"}:
            assert getattr(stripe_settings, name) is not None or default is None


def test_settings_are_read_at_call_time():
    with override_settings(STRIPE_CHECKOUT_TITLE="Pro plans"):
        assert stripe_settings.STRIPE_CHECKOUT_TITLE == "Pro plans"
    assert stripe_settings.STRIPE_CHECKOUT_TITLE == "Django Stripe Demo"


def test_defaults_apply_when_unset():
    assert stripe_settings.STRIPE_WEBHOOK_TOLERANCE == 300
    assert tuple(stripe_settings.STRIPE_ACCESS_STATUSES) == ("active", "trialing")
    assert tuple(stripe_settings.STRIPE_PAYMENT_METHOD_TYPES) == ("card",)


@pytest.mark.parametrize(
    "name", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID"]
)
def test_keys_fall_back_to_the_environment(monkeypatch, name):
    monkeypatch.setenv(name, "from-env")
    with override_settings(**{name: None}):
        assert getattr(stripe_settings, name) == "from-env"
    with override_settings(**{name: "from-settings"}):
        assert getattr(stripe_settings, name) == "from-settings"


def test_other_settings_ignore_the_environment(monkeypatch):
    monkeypatch.setenv("STRIPE_CHECKOUT_TITLE", "from-env")
    assert stripe_settings.STRIPE_CHECKOUT_TITLE == "Django Stripe Demo"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("whsec_a", ["whsec_a"]), (["whsec_a", "whsec_b"], ["whsec_a", "whsec_b"])],
)
def test_webhook_secrets_accepts_one_or_several(value, expected):
    with override_settings(STRIPE_WEBHOOK_SECRET=value):
        assert stripe_settings.webhook_secrets == expected


def test_unknown_setting_is_an_error():
    with pytest.raises(AttributeError, match="STRIPE_TYPO"):
        stripe_settings.STRIPE_TYPO  # noqa: B018


@pytest.mark.parametrize(
    "value", ["False", "false", "FALSE", "0", "no", "No", "off", "OFF", "", "  false  ", False, 0, None]
)
def test_a_boolean_setting_reads_false_words_as_false(value):
    # None is "unset": the default of STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE, which is False.
    with override_settings(STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE=value):
        assert stripe_settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE is False


@pytest.mark.parametrize("value", ["True", "true", "1", "yes", "on", "Y", True, 1])
def test_a_boolean_setting_reads_other_values_as_true(value):
    with override_settings(STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE=value):
        assert stripe_settings.STRIPE_CREDIT_CARD_HIDE_POSTAL_CODE is True


def test_a_boolean_setting_falls_back_to_the_default():
    with override_settings(STRIPE_CHECKOUT_DEV_MODE=None):
        assert stripe_settings.STRIPE_CHECKOUT_DEV_MODE is True
