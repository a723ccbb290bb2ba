"""Stripe's errors as REST answers (api/errors.py, classified by django_stripe/stripe_errors.py), over DRF against
the fake Stripe: the mappings that no other test reaches. A refused key is the site's fault: a 503 that says
Stripe could not be reached, and the log says the key. Any other refusal from Stripe is a 400 with Stripe's
message for the user and its code."""

import logging

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_refused_key_is_a_503_and_the_log_says_the_key(synced_fake, make_user, settings, caplog):
    user = make_user()
    settings.STRIPE_SECRET_KEY = "nonsense"  # the fake answers 401, as Stripe does

    with caplog.at_level(logging.WARNING, logger="django_stripe.api"):
        response = api_client(user).post("/api/setup-intents/")

    assert response.status_code == 503
    assert response.json() == {"detail": "Stripe could not be reached. Please try again shortly."}
    [logged] = [record.getMessage() for record in caplog.records if record.name == "django_stripe.api"]
    assert logged == "Stripe rejected the configured API key: AuthenticationError"


def test_another_refusal_of_stripe_is_a_400_with_its_message(synced_fake, make_user, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    user = make_user()
    synced_fake.fail_next(1, status=400)

    response = api_client(user).post("/api/setup-intents/")

    assert response.status_code == 400
    assert response.json() == {"detail": "An unknown error occurred (injected by the fake Stripe)."}
