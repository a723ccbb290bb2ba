"""Schemathesis drives every operation of the OpenAPI schema over real HTTP (a live server) as an
authenticated user: no 500, and every documented response matches the schema."""

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from django_stripe import payments
from django_stripe.client import get_client

USERNAME, PASSWORD = "fuzzer", "fuzz-password"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()}


@pytest.fixture
def api_schema(transactional_db, live_server, synced_fake, catalogue, django_user_model, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"django_stripe": None}}
    user = django_user_model.objects.create_user(USERNAME, "fuzzer@example.com", PASSWORD)
    setup_intent = payments.create_setup_intent(user)
    card = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
    payments.create_subscription(user, catalogue["monthly"], default_payment_method=card.payment_method)
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_responses_match_the_schema(case):
    case.call_and_validate(
        headers=AUTH, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
