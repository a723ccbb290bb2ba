"""Many threads, bulk and interactive, calling a Stripe whose own limiter answers 429 over its rate: every request
gets its answer, none is lost or answered twice, and a limiter set under Stripe's limit draws no 429 at all."""

from __future__ import annotations

import threading
import uuid

import pytest
import stripe

from django_stripe.client import get_client
from django_stripe.ratelimit import bulk_requests
from fake_stripe import RateLimit
from tests.stripe_stand_in import CUSTOMER, StripeStandIn

THREADS, REQUESTS_EACH = 6, 6


@pytest.fixture
def stripe_limited_at_10(settings):
    server = StripeStandIn([CUSTOMER], per_second=10).start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_SECRET_KEY = f"sk_test_{uuid.uuid4().hex}"  # a bucket of this test's own
    settings.STRIPE_HTTP_CLIENT = None
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    yield server
    server.stop()


def call_from_threads() -> tuple[list[str], list[BaseException]]:
    """THREADS threads, half of them bulk (a backfill's), each retrieving REQUESTS_EACH times."""
    answers: list[str] = []
    errors: list[BaseException] = []

    def work(bulk: bool) -> None:
        try:
            if bulk:
                with bulk_requests():
                    answers.extend(get_client().v1.customers.retrieve("cus_1").id for _ in range(REQUESTS_EACH))
            else:
                answers.extend(get_client().v1.customers.retrieve("cus_1").id for _ in range(REQUESTS_EACH))
        except (stripe.StripeError, OSError) as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(number % 2 == 0,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers, errors


def test_a_429_storm_pauses_everyone_and_every_request_is_answered_once(stripe_limited_at_10, settings):
    settings.STRIPE_RATE_LIMIT = 30  # three times what this Stripe allows: it answers 429 again and again
    answers, errors = call_from_threads()
    assert errors == []
    assert answers == ["cus_1"] * THREADS * REQUESTS_EACH
    assert stripe_limited_at_10.statuses[200] == THREADS * REQUESTS_EACH
    assert stripe_limited_at_10.statuses[429] > 0
    print(f"\n429 storm: {stripe_limited_at_10.statuses[429]} 429s for {THREADS * REQUESTS_EACH} requests")


def test_a_limiter_under_stripes_limit_draws_no_429(stripe_limited_at_10, settings):
    settings.STRIPE_RATE_LIMIT = 8  # 80% of this Stripe's 10/s, as the default is of the real one's
    answers, errors = call_from_threads()
    assert errors == []
    assert len(answers) == THREADS * REQUESTS_EACH
    assert stripe_limited_at_10.statuses == {200: THREADS * REQUESTS_EACH}


def test_the_fake_stripes_429s_pause_the_bucket_and_every_request_is_answered(stripe_fake_server, settings):
    stripe_fake_server.rate_limit = RateLimit(per_second=10)
    settings.STRIPE_RATE_LIMIT = 30
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    customer = get_client().v1.customers.create(params={"email": "a@example.com"})
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with bulk_requests():
                results.extend(get_client().v1.customers.retrieve(customer.id).id for _ in range(REQUESTS_EACH))
        except stripe.StripeError as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert results == [customer.id] * THREADS * REQUESTS_EACH
