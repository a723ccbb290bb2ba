"""Schemathesis drives every operation of the OpenAPI schema as an authenticated user: no 500, and every
documented response matches the schema."""

import base64

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from django_stripe import payments
from django_stripe.client import get_client


@pytest.fixture
def api_schema(db, synced_fake, catalogue, django_user_model):
    user = django_user_model.objects.create_user("fuzzer", "fuzzer@example.com", "fuzz-password")
    setup_intent = payments.create_setup_intent(user)
    card = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
    payments.create_subscription(user, catalogue["monthly"], default_payment_method=card.payment_method)
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


schema = schemathesis.pytest.from_fixture("api_schema")
AUTH = {"Authorization": "Basic " + base64.b64encode(b"fuzzer:fuzz-password").decode()}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_responses_match_the_schema(case, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"django_stripe": None}}
    case.call_and_validate(
        headers=AUTH, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
