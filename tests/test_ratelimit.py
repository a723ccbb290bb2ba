"""The shared limiter (django_stripe/ratelimit.py): the shares counted on a clock stepped by hand, the bucket shared
by two processes through a real Redis, and Stripe's 429s answered by a real HTTP server, through the SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import pytest
import stripe

from django_stripe import ratelimit
from django_stripe.client import get_client
from django_stripe.ratelimit import LocalBucket, Rate, RedisBucket, bulk_requests, configured_rate, key_id
from tests.stripe_stand_in import CUSTOMER, LOCK_TIMEOUT, RATE_LIMITED, StripeStandIn


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_for(bucket: LocalBucket, clock: Clock, seconds: float, *, bulk: bool, interactive: bool) -> None:
    """Every 10 ms of the clock, the bulk side then the interactive side take every token they are given."""
    start = clock.now
    for step in range(int(seconds * 100)):
        clock.now = start + step / 100
        while bulk and bucket.take(RATE, bulk=True) == 0:
            pass
        while interactive and bucket.take(RATE, bulk=False) == 0:
            pass


RATE = Rate(per_second=10, reserved=0.2)  # bursts of 2 in all, 1.6 for bulk


def test_bulk_requests_alone_get_the_unreserved_share():
    clock = Clock()
    bucket = LocalBucket(clock)
    run_for(bucket, clock, 10, bulk=True, interactive=False)
    # 8/s for 10 s, plus the first burst (a bucket starts full)
    assert 80 <= bucket.taken["bulk"] <= 81
    assert bucket.taken["interactive"] == 0


def test_interactive_requests_alone_get_the_whole_rate():
    clock = Clock()
    bucket = LocalBucket(clock)
    run_for(bucket, clock, 10, bulk=False, interactive=True)
    assert 100 <= bucket.taken["interactive"] <= 102


def test_a_backfill_flat_out_leaves_the_reserved_share_to_the_app():
    clock = Clock()
    bucket = LocalBucket(clock)
    # The bulk side asks first at every step, and as often as it likes: still it gets no more than its share.
    run_for(bucket, clock, 10, bulk=True, interactive=True)
    assert bucket.taken["bulk"] <= 81
    assert bucket.taken["interactive"] >= 19
    # and the rate is used: what the app does not take, the backfill does (the tokens the two sides race for
    # go to whichever asks when one is there)
    assert 100 <= bucket.taken["bulk"] + bucket.taken["interactive"] <= 102


def test_a_pause_lets_nothing_through_then_the_rate_comes_back_without_a_burst():
    clock = Clock()
    bucket = LocalBucket(clock)
    run_for(bucket, clock, 1, bulk=False, interactive=True)
    before = bucket.taken["interactive"]
    clock.now = 1.0
    bucket.pause(2.0)
    run_for(bucket, clock, 2, bulk=True, interactive=True)  # 1.0 .. 2.99: paused
    assert bucket.taken["interactive"] == before and bucket.taken["bulk"] == 0
    clock.now = 2.99
    assert bucket.take(RATE, bulk=False) == pytest.approx(0.01)  # what is left of the pause
    clock.now = 3.0
    assert bucket.take(RATE, bulk=False) == pytest.approx(0.1)  # then an empty bucket: a token in 1/10 s
    run_for(bucket, clock, 1, bulk=False, interactive=True)  # 3.0 .. 3.99: refilled from empty, 10/s
    assert 9 <= bucket.taken["interactive"] - before <= 10


def test_a_second_pause_never_shortens_the_first():
    clock = Clock()
    bucket = LocalBucket(clock)
    bucket.pause(5.0)
    bucket.pause(1.0)
    clock.now = 4.0
    assert bucket.take(RATE, bulk=False) == pytest.approx(1.0)


def test_the_default_rate_is_80_percent_of_stripes_read_limit_for_the_keys_mode(settings):
    settings.STRIPE_API_BASE = None
    assert configured_rate("sk_live_x").per_second == 80
    assert configured_rate("rk_test_x").per_second == 20
    assert configured_rate("nonsense").per_second == 20  # no known mode: the stricter limit
    assert configured_rate("sk_live_x").reserved == 0.2
    settings.STRIPE_RATE_LIMIT = 35
    settings.STRIPE_RATE_LIMIT_RESERVED = 0.5
    assert configured_rate("sk_live_x") == Rate(35.0, 0.5)
    settings.STRIPE_RATE_LIMIT = 0
    assert configured_rate("sk_live_x") is None


def test_no_default_rate_for_a_stand_in_of_stripe(settings):
    """A fake or a proxy has no limit we know of (the suite's fake Stripe runs unlimited); one set is applied."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    assert configured_rate("sk_test_x") is None
    settings.STRIPE_RATE_LIMIT = 25
    assert configured_rate("sk_test_x").per_second == 25


def test_bulk_requests_is_per_context_and_threads_enter_it_themselves():
    seen = []
    with bulk_requests():
        assert ratelimit.is_bulk()
        thread = threading.Thread(target=lambda: seen.append(ratelimit.is_bulk()))
        thread.start()
        thread.join()
    assert not ratelimit.is_bulk()
    assert seen == [False]


# Stripe over real HTTP: a small server answering as Stripe's rate limiter does.


@pytest.fixture
def stand_in(settings):
    servers = []

    def serve(*answers) -> StripeStandIn:
        server = StripeStandIn(list(answers)).start()
        servers.append(server)
        settings.STRIPE_API_BASE = server.url
        return server

    # A key of this test's own: its bucket is a fresh one.
    settings.STRIPE_SECRET_KEY = f"sk_test_{uuid.uuid4().hex}"
    settings.STRIPE_HTTP_CLIENT = None
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_RATE_LIMIT = 50
    yield serve
    for server in servers:
        server.stop()


def local_taken(settings) -> dict[str, int]:
    return dict(ratelimit.bucket_for(settings.STRIPE_SECRET_KEY).taken)


def test_a_request_refused_by_the_rate_limiter_is_sent_again_after_the_pause(stand_in, settings):
    server = stand_in(RATE_LIMITED, RATE_LIMITED, CUSTOMER)
    customer = get_client().v1.customers.retrieve("cus_1")
    assert customer.email == "a@example.com"
    assert server.requests == 3
    assert local_taken(settings) == {"interactive": 3}  # each attempt took a token


def test_bulk_requests_take_bulk_tokens(stand_in, settings):
    stand_in(RATE_LIMITED, CUSTOMER)
    with bulk_requests():
        get_client().v1.customers.retrieve("cus_1")
    assert local_taken(settings) == {"bulk": 2}


def test_a_429_storm_reaches_the_sdk_after_the_resends_and_its_retries_take_tokens_too(stand_in, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1  # Stripe-Should-Retry: true, so the SDK sends once more
    server = stand_in(RATE_LIMITED)
    with pytest.raises(stripe.RateLimitError):
        get_client().v1.customers.retrieve("cus_1")
    attempts = 2 * (ratelimit.RATE_LIMITED_RESENDS + 1)
    assert server.requests == attempts
    assert local_taken(settings) == {"interactive": attempts}


def test_a_lock_timeout_is_no_rate_limit_the_bucket_goes_on(stand_in, settings):
    server = stand_in(LOCK_TIMEOUT, CUSTOMER)
    with pytest.raises(stripe.RateLimitError):  # the SDK's class for every 429
        get_client().v1.customers.retrieve("cus_1")
    assert server.requests == 1
    assert ratelimit.bucket_for(settings.STRIPE_SECRET_KEY).take(Rate(50), bulk=False) == 0  # not paused


def test_without_a_rate_a_429_goes_to_the_sdk_as_before(stand_in, settings):
    settings.STRIPE_RATE_LIMIT = 0
    server = stand_in(RATE_LIMITED, CUSTOMER)
    with pytest.raises(stripe.RateLimitError):
        get_client().v1.customers.retrieve("cus_1")
    assert server.requests == 1


# Shared through Redis


@pytest.fixture
def redis_bucket_name():
    import redis

    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(f"django-stripe:rate-limit:{name}")


TAKER = """
import sys
from django_stripe.ratelimit import Rate, RedisBucket
url, name, kind, attempts = sys.argv[1:]
bucket = RedisBucket(url, name)
# Next to no refill (one token in 100 s): what the processes get together is the burst the bucket started with.
rate = Rate(per_second=0.01, reserved=0.5, burst_seconds=1000)
sys.stdin.readline()  # both processes start together
print(sum(bucket.take(rate, bulk=kind == "bulk") == 0 for _ in range(int(attempts))))
"""


@pytest.mark.broker
def test_two_processes_share_one_bucket_in_redis(redis_bucket_name):
    url = os.environ["REDIS_URL"]

    def together(kind: str) -> list[int]:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", TAKER, url, redis_bucket_name, kind, "100"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        return [int(process.communicate(timeout=60)[0]) for process in processes]

    # The bucket holds 10 tokens, of which bulk requests may take 5: two processes of their own would get twice.
    assert sum(together("bulk")) == 5
    assert sum(together("interactive")) == 5
    assert RedisBucket(url, redis_bucket_name).taken == {"bulk": 5, "interactive": 5}


@pytest.mark.broker
def test_a_429_pauses_the_redis_bucket_and_the_key_is_never_stored_nor_logged(stand_in, settings, caplog):
    import redis

    settings.STRIPE_RATE_LIMIT_REDIS_URL = os.environ["REDIS_URL"]
    secret = settings.STRIPE_SECRET_KEY
    server = stand_in(RATE_LIMITED, CUSTOMER)
    caplog.set_level("DEBUG")
    get_client().v1.customers.retrieve("cus_1")
    assert server.requests == 2
    bucket = ratelimit.bucket_for(secret)
    assert bucket.key == f"django-stripe:rate-limit:{key_id(secret)}"
    assert bucket.taken == {"bulk": 0, "interactive": 2}
    assert "Stripe rate limit reached (global-rate)" in caplog.text
    assert secret not in caplog.text and secret[8:] not in caplog.text
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    for name in connection.scan_iter():
        assert secret.encode() not in name and secret[8:].encode() not in name
        if connection.type(name) == b"hash":
            assert not any(secret[8:].encode() in value for value in connection.hgetall(name).values())
    connection.delete(bucket.key)


def test_without_redis_a_process_goes_on_with_its_own_bucket(caplog):
    bucket = RedisBucket("redis://127.0.0.1:9/0", "unreachable")
    assert bucket.take(Rate(10), bulk=False) == 0
    assert "Redis unreachable" in caplog.text


def test_async_requests_take_tokens_too(stripe_fake, settings):
    import asyncio

    settings.STRIPE_SECRET_KEY = f"sk_test_{uuid.uuid4().hex}"  # the fake takes any key; a bucket of its own
    settings.STRIPE_RATE_LIMIT = 50

    async def create_then_retrieve() -> str:
        customer = await get_client().v1.customers.create_async(params={"email": "a@example.com"})
        with bulk_requests():
            return (await get_client().v1.customers.retrieve_async(customer.id)).email

    assert asyncio.run(create_then_retrieve()) == "a@example.com"
    assert local_taken(settings) == {"interactive": 1, "bulk": 1}
