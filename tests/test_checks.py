import pytest
from django.core import checks
from django.db import connection
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
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID"):
        monkeypatch.delenv(name, raising=False)


CONFIGURED = {
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": "prod_abc",
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


def test_access_checks_without_a_product_to_check_warn():
    assert "django_stripe.W004" in check_ids(**{**CONFIGURED, "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": None})
    [message] = messages_of("django_stripe.W004", **{**CONFIGURED, "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": None})
    assert "STRIPE_ACCESS_ANY_PRODUCT" in message.hint and "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID" in message.hint


def test_access_to_any_product_chosen_on_purpose_does_not_warn():
    ids = check_ids(**{**CONFIGURED, "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": None, "STRIPE_ACCESS_ANY_PRODUCT": True})
    assert "django_stripe.W004" not in ids


@pytest.mark.parametrize("key", ["sk_live_abc", "rk_live_abc"])
@pytest.mark.parametrize(
    "base",
    ["http://127.0.0.1:12111", "https://stripe-proxy.example", "http://api.stripe.com", "https://api.stripe.com.evil"],
)
def test_a_live_key_sent_to_another_host_than_stripes_is_an_error(key, base):
    settings = {
        **CONFIGURED,
        "STRIPE_SECRET_KEY": key,
        "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
        "STRIPE_API_BASE": base,
    }
    [message] = messages_of("django_stripe.E006", **settings)
    assert isinstance(message, checks.Error)
    assert "live key" in message.msg and base in message.msg and "STRIPE_API_BASE" in message.hint


@pytest.mark.parametrize("base", [None, "", "https://api.stripe.com", "https://api.stripe.com/"])
def test_a_live_key_sent_to_stripe_is_clean(base):
    settings = {**CONFIGURED, "STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_PUBLISHABLE_KEY": "pk_live_abc"}
    assert check_ids(**settings, STRIPE_API_BASE=base) == set()


def test_a_test_key_may_go_to_the_fake():
    assert "django_stripe.E006" not in check_ids(**CONFIGURED, STRIPE_API_BASE="http://127.0.0.1:12111")


@pytest.mark.parametrize("status", ["incomplete", "incomplete_expired", "unpaid", "paused", "canceled"])
def test_access_in_a_status_without_payment_warns(status):
    [message] = messages_of("django_stripe.W005", **CONFIGURED, STRIPE_ACCESS_STATUSES=["active", "trialing", status])
    assert status in message.msg and "without payment" in message.msg and message.hint


@pytest.mark.parametrize("statuses", [("active", "trialing"), ["active", "trialing", "past_due"], ["active"]])
def test_access_in_paid_statuses_is_clean(statuses):
    assert "django_stripe.W005" not in check_ids(**CONFIGURED, STRIPE_ACCESS_STATUSES=statuses)


@pytest.mark.parametrize("blank", ["", "   ", None, "\t"])
def test_a_blank_entry_among_the_webhook_secrets_is_an_error(blank):
    [message] = messages_of("django_stripe.E007", **{**CONFIGURED, "STRIPE_WEBHOOK_SECRET": ["whsec_new", blank]})
    assert isinstance(message, checks.Error)
    assert "blank" in message.msg and repr(blank) in message.msg and message.hint


def test_a_list_of_real_webhook_secrets_is_clean():
    assert check_ids(**{**CONFIGURED, "STRIPE_WEBHOOK_SECRET": ["whsec_new", "whsec_old"]}) == set()


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


urlpatterns = []  # ROOT_URLCONF="tests.test_checks": a project that does not mount the webhook endpoint


@pytest.fixture
def celery_fallback():
    """Celery's fallback app current, as in a project with no celery.py (or one nothing imports)."""
    from celery import Celery, _state, current_app

    previous = current_app._get_current_object()
    fallback = Celery("default", fixups=[], set_as_current=False, loader="default")
    _state._set_current_app(fallback)
    yield fallback
    _state._set_current_app(previous)


def messages_of(check_id, **settings):
    with override_settings(**settings):
        return [
            message
            for check in checks.registry.registry.get_checks()
            if check.__module__ == "django_stripe.checks"
            for message in check(app_configs=None)
            if message.id == check_id
        ]


def test_a_webhook_endpoint_without_a_celery_app_warns_with_the_lines_to_add(celery_fallback):
    [message] = messages_of("django_stripe.W003", **CONFIGURED)
    assert "no worker will process its events" in message.msg and "No Celery app" in message.msg
    assert "example_project/celery.py" in message.hint and "example_project/__init__.py" in message.hint
    assert 'app.config_from_object("django.conf:settings", namespace="CELERY")' in message.hint
    assert "from .celery import app as celery_app" in message.hint
    assert "celery -A example_project worker" in message.hint


def test_no_celery_warning_for_a_project_app_eager_celery_or_no_webhook_endpoint(celery_fallback):
    assert messages_of("django_stripe.W003", **CONFIGURED, ROOT_URLCONF="tests.test_checks") == []
    celery_fallback.conf.task_always_eager = True
    assert messages_of("django_stripe.W003", **CONFIGURED) == []
    celery_fallback.conf.task_always_eager = False
    celery_fallback.conf.broker_url = "redis://127.0.0.1:6379/0"  # e.g. a celeryconfig module
    assert messages_of("django_stripe.W003", **CONFIGURED) == []


def test_the_example_projects_own_celery_app_is_no_problem():
    from celery import current_app

    current_app.conf.task_always_eager = False
    try:
        assert messages_of("django_stripe.W003", **CONFIGURED) == []
    finally:
        current_app.conf.task_always_eager = True


def test_the_first_event_sent_without_a_celery_app_logs_why_once_per_process(celery_fallback, monkeypatch, caplog):
    from django_stripe import celery_setup
    from django_stripe.webhooks.dispatch import Dispatcher

    monkeypatch.setattr(celery_setup, "_warned_in", None)
    dispatcher = Dispatcher()
    monkeypatch.setattr(dispatcher, "_run", lambda: None)  # no thread publishing to the fallback's broker
    with caplog.at_level("WARNING", logger="django_stripe.celery_setup"):
        dispatcher.send("evt_1")
        dispatcher.send("evt_2")
        celery_setup.warn_once_if_missing()  # whoever asks next in this process: said already
    [record] = caplog.records
    assert "No Celery app is configured" in record.getMessage() and "celery.py" in record.getMessage()


@pytest.mark.django_db
def test_stripe_process_events_says_why_events_were_pending(celery_fallback):
    from io import StringIO

    from django.core.management import call_command

    from django_stripe.models import WebhookEvent

    payload = {"id": "evt_pending", "object": "event", "type": "ping", "created": 1767225600, "data": {"object": {}}}
    WebhookEvent.objects.create(id="evt_pending", type="ping", created="2026-01-01T00:00:00Z", payload=payload)
    errors = StringIO()
    call_command("stripe_process_events", stdout=StringIO(), stderr=errors)
    assert "1 Stripe event(s) pending" in errors.getvalue() and "celery.py" in errors.getvalue()


def deploy_ids(**kwargs) -> list[str]:
    return [message.id for message in checks.run_checks(include_deployment_checks=True, **kwargs)]


@pytest.mark.django_db
def test_check_deploy_with_the_database_warns_of_events_pending_too_long(settings):
    from datetime import timedelta

    from django.utils import timezone

    from django_stripe.models import WebhookEvent
    from django_stripe.testing.factories import CustomerPayloadFactory
    from django_stripe.webhooks.ledger import store_event
    from tests.webhooks.conftest import event

    payload = event("customer.created", CustomerPayloadFactory())
    store_event(payload)
    assert "django_stripe.W006" not in deploy_ids(databases=["default"])  # just received

    WebhookEvent.objects.filter(pk=payload["id"]).update(received_at=timezone.now() - timedelta(minutes=6))
    [warning] = [
        m for m in checks.run_checks(include_deployment_checks=True, databases=["default"]) if m.id.endswith("W006")
    ]
    assert "1 Stripe event(s) have been pending for more than 300 s" in warning.msg and "worker" in warning.hint
    settings.STRIPE_STATUS_MAX_PENDING_AGE = 600
    assert "django_stripe.W006" not in deploy_ids(databases=["default"])


def test_check_deploy_without_a_database_reads_none(django_db_setup, django_db_blocker):
    # Django 6.1's own JSONField check asks each connection once whether it supports JSON (SQLite: a query), also
    # without --database: asked here first (of the test database), so that only a query of django-stripe's checks
    # fails the test.
    with django_db_blocker.unblock():
        assert connection.features.supports_json_field
    # No django_db mark: a query would fail the test ("Database access not allowed").
    assert "django_stripe.W006" not in deploy_ids()
    assert "django_stripe.W006" not in [m.id for m in checks.run_checks(databases=None)]


@pytest.mark.parametrize(
    ("name", "value", "error_id"),
    [
        ("STRIPE_DOWNGRADE_AT", "renewal", "django_stripe.E008"),
        ("STRIPE_DOWNGRADE_AT", True, "django_stripe.E008"),
        ("STRIPE_PAUSE_BEHAVIOR", "pause", "django_stripe.E009"),
        ("STRIPE_PAUSE_BEHAVIOR", "VOID", "django_stripe.E009"),
    ],
)
def test_a_plan_change_setting_stripe_does_not_know_is_an_error(name, value, error_id):
    [message] = messages_of(error_id, **{**CONFIGURED, name: value})
    assert name in message.msg and repr(value) in message.msg


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_DOWNGRADE_AT", "now"),
        ("STRIPE_DOWNGRADE_AT", "period_end"),
        ("STRIPE_PAUSE_BEHAVIOR", "keep_as_draft"),
        ("STRIPE_PAUSE_BEHAVIOR", "mark_uncollectible"),
    ],
)
def test_each_plan_change_setting_stripe_knows_is_clean(name, value):
    assert check_ids(**{**CONFIGURED, name: value}) == set()


@pytest.mark.parametrize(
    "name, value", [("STRIPE_RATE_LIMIT", "80"), ("STRIPE_RATE_LIMIT", -1), ("STRIPE_RATE_LIMIT_RESERVED", 1)]
)
def test_a_rate_limit_of_the_wrong_kind_is_an_error(settings, name, value):
    from django_stripe.checks import check_rate_limit

    setattr(settings, name, value)
    assert [message.id for message in check_rate_limit(None)] == ["django_stripe.E010"]


def test_the_default_rate_limit_settings_pass(settings):
    from django_stripe.checks import check_rate_limit

    assert check_rate_limit(None) == []
    settings.STRIPE_RATE_LIMIT = 0
    settings.STRIPE_RATE_LIMIT_RESERVED = 0
    assert check_rate_limit(None) == []


def test_check_deploy_warns_of_a_live_key_limited_per_process(settings):
    from django_stripe.checks import check_rate_limit_shared

    settings.STRIPE_SECRET_KEY = "sk_live_x"
    assert [message.id for message in check_rate_limit_shared(None)] == ["django_stripe.W007"]
    settings.STRIPE_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/0"
    assert check_rate_limit_shared(None) == []
    settings.STRIPE_RATE_LIMIT_REDIS_URL = None
    settings.STRIPE_RATE_LIMIT = 0  # no limiter: nothing to share
    assert check_rate_limit_shared(None) == []
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_RATE_LIMIT = None
    assert check_rate_limit_shared(None) == []


# The billable settings (issue 25): what pays, its members, and the two callables.
TEAMS = {
    **CONFIGURED,
    "STRIPE_BILLABLE_MODEL": "accounts.Team",
    "STRIPE_BILLABLE_MEMBERS": "members",
    "STRIPE_BILLABLE_FOR_REQUEST": "accounts.billing.team_for_request",
    "STRIPE_BILLING_ROLE": "accounts.billing.team_role",
}


def test_a_configured_team_billing_is_clean():
    assert check_ids(**TEAMS) == set()
    assert check_ids(**{**TEAMS, "STRIPE_BILLABLE_MEMBERS": "memberships__user"}) == set()


@pytest.mark.parametrize("model", ["accounts.Nothing", "nowhere.Team", "Team", "accounts.Team.extra"])
def test_a_billable_model_that_is_no_installed_model_is_an_error(model):
    assert check_ids(**{**TEAMS, "STRIPE_BILLABLE_MODEL": model}) == {"django_stripe.E011"}


def test_a_billable_model_without_a_customer_id_is_an_error():
    assert check_ids(**{**TEAMS, "STRIPE_BILLABLE_MODEL": "accounts.Membership"}) >= {"django_stripe.E002"}


@pytest.mark.parametrize("lookup", ["memberz", "memberships", "memberships__team", "name", "members__teams__x"])
def test_members_that_do_not_lead_to_the_user_model_are_an_error(lookup):
    assert check_ids(**{**TEAMS, "STRIPE_BILLABLE_MEMBERS": lookup}) == {"django_stripe.E012"}


@pytest.mark.parametrize("name", ["STRIPE_BILLABLE_FOR_REQUEST", "STRIPE_BILLING_ROLE"])
@pytest.mark.parametrize("value", ["accounts.billing.no_such_function", "no_such_module.team", "accounts.models"])
def test_a_billable_callable_that_does_not_import_is_an_error(name, value):
    assert check_ids(**{**TEAMS, name: value}) == {"django_stripe.E013"}


def test_a_team_without_members_warns_that_members_get_no_access():
    assert check_ids(**{**TEAMS, "STRIPE_BILLABLE_MEMBERS": None}) == {"django_stripe.W008"}


def test_members_are_not_checked_while_users_pay():
    assert check_ids(**{**CONFIGURED, "STRIPE_BILLABLE_MEMBERS": "members"}) == set()
