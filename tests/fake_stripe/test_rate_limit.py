"""The fake's rate limit (`fake.rate_limit = RateLimit(...)`, `POST /_fake/rate_limit`), over real HTTP: a request
over the rate is Stripe's 429 with its headers; off by default. The bucket reads a clock the test steps, so the
assertions count answers and never time anything. Also: lists filter by `created[gte]`/`created[lt]` ranges, as
the backfill's segments ask them."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

from fake_stripe import FakeStripe, RateLimit
from fake_stripe.server import FakeStripeServer


class Clock:
    """A monotonic clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def raw(url: str, path: str, method: str = "GET", data: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    """One HTTP request to the fake with a test key: status, headers, JSON body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url + path, data=body, method=method)
    request.add_header("Authorization", "Bearer sk_test_rate")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def statuses(url: str, n: int) -> list[int]:
    return [raw(url, "/v1/products?limit=1")[0] for _ in range(n)]


@pytest.fixture
def client(fake_stripe_server: FakeStripeServer) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_rate", base_addresses={"api": fake_stripe_server.url}, max_network_retries=0)


def test_off_by_default(fake_stripe_server: FakeStripeServer):
    assert fake_stripe_server.fake.rate_limit is None
    assert set(statuses(fake_stripe_server.url, 50)) == {200}


def test_over_the_rate_stripes_429(fake_stripe_server: FakeStripeServer):
    clock = Clock()
    fake_stripe_server.fake.rate_limit = RateLimit(per_second=2, burst=3, clock=clock)
    url = fake_stripe_server.url
    # A full bucket lets the burst through, then nothing until tokens flow in again.
    assert statuses(url, 5) == [200, 200, 200, 429, 429]
    status, headers, body = raw(url, "/v1/products")
    assert status == 429
    assert headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    assert headers["Retry-After"] == "1"
    assert headers["Stripe-Should-Retry"] == "true"
    assert headers["Request-Id"].startswith("req_")
    error = body["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert error["message"].startswith("Request rate limit exceeded.")
    clock.now += 1  # two tokens flow in
    assert statuses(url, 3) == [200, 200, 429]
    clock.now += 100  # a long pause fills the bucket to its burst, no more
    assert statuses(url, 4) == [200, 200, 200, 429]
    limit = fake_stripe_server.fake.rate_limit
    assert (limit.allowed, limit.limited) == (8, 5)


def test_the_default_burst_is_a_seconds_worth(fake_stripe_server: FakeStripeServer):
    clock = Clock()
    fake_stripe_server.fake.rate_limit = RateLimit(per_second=25, clock=clock)
    assert statuses(fake_stripe_server.url, 30).count(200) == 25


def test_the_sdk_sees_a_rate_limit_error(fake_stripe_server: FakeStripeServer, client: stripe.StripeClient):
    fake_stripe_server.fake.rate_limit = RateLimit(per_second=1, clock=Clock())
    client.v1.products.create({"name": "One"})
    with pytest.raises(stripe.RateLimitError) as raised:
        client.v1.products.list()
    assert raised.value.http_status == 429
    assert raised.value.json_body["error"]["code"] == "rate_limit"
    assert raised.value.headers["Stripe-Rate-Limited-Reason"] == "global-rate"


def test_a_limited_request_does_nothing(fake_stripe_server: FakeStripeServer, client: stripe.StripeClient):
    fake = fake_stripe_server.fake
    fake.rate_limit = RateLimit(per_second=1, clock=Clock())
    client.v1.products.create({"name": "Kept"})
    with pytest.raises(stripe.RateLimitError):
        client.v1.products.create({"name": "Refused"})
    fake.rate_limit = None
    assert [p.name for p in client.v1.products.list().data] == ["Kept"]
    assert [e["type"] for e in fake.events] == ["product.created"]


def test_pages_and_control_endpoints_are_not_limited(fake_stripe_server: FakeStripeServer):
    fake_stripe_server.fake.rate_limit = RateLimit(per_second=1, clock=Clock())
    url = fake_stripe_server.url
    assert [raw(url, "/_fake/rate_limit")[0] for _ in range(5)] == [200] * 5
    assert statuses(url, 2) == [200, 429]


def test_the_control_endpoint(fake_stripe_server: FakeStripeServer):
    url, fake = fake_stripe_server.url, fake_stripe_server.fake
    status, _, body = raw(url, "/_fake/rate_limit", "POST", {"per_second": "0.01", "burst": "2"})
    assert status == 200
    assert body == {"rate_limit": {"per_second": 0.01, "burst": 2.0, "allowed": 0, "limited": 0}}
    assert fake.rate_limit == RateLimit(per_second=0.01, burst=2)
    assert statuses(url, 3) == [200, 200, 429]  # a token takes 100 s to come back
    counts = {"per_second": 0.01, "burst": 2.0, "allowed": 2, "limited": 1}
    assert raw(url, "/_fake/rate_limit")[2] == {"rate_limit": counts}
    assert raw(url, "/_fake/rate_limit", "POST", {"per_second": "off"})[2] == {"rate_limit": None}
    assert fake.rate_limit is None
    assert set(statuses(url, 5)) == {200}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"per_second": "0"}, "per_second"),
        ({"per_second": "fast"}, "per_second"),
        ({"per_second": "5", "burst": "0.5"}, "burst"),
    ],
)
def test_the_control_endpoint_refuses_a_bad_rate(fake_stripe_server: FakeStripeServer, params: dict, param: str):
    status, _, body = raw(fake_stripe_server.url, "/_fake/rate_limit", "POST", params)
    assert (status, body["error"]["param"]) == (400, param)
    assert fake_stripe_server.fake.rate_limit is None


def test_reset_turns_it_off():
    fake = FakeStripe()
    fake.rate_limit = RateLimit(per_second=5)
    fake.reset()
    assert fake.rate_limit is None


def test_a_rate_above_zero():
    with pytest.raises(ValueError):
        RateLimit(per_second=0)
    with pytest.raises(ValueError):
        RateLimit(per_second=5, burst=0.5)


def test_lists_by_created_ranges(fake_stripe_server: FakeStripeServer, client: stripe.StripeClient):
    """The backfill's segments: `created[gte]` and `created[lt]` halve a range exactly, and page within it."""
    fake = fake_stripe_server.fake
    created = []
    for n in range(9):
        created.append(client.v1.products.create({"name": f"P{n}"}).created)
        fake.advance_clock(10)
    middle = created[4]

    def walk(bounds: dict) -> list[int]:
        seen, after = [], None
        while True:
            page = client.v1.products.list(
                {"limit": 2, "created": bounds, **({"starting_after": after} if after else {})}
            )
            seen += [p.created for p in page.data]
            if not page.has_more:
                return seen
            after = page.data[-1].id

    older, newer = walk({"gte": created[0], "lt": middle}), walk({"gte": middle, "lt": created[-1] + 1})
    assert older == sorted(created[:4], reverse=True)
    assert newer == sorted(created[4:], reverse=True)


def test_created_ranges_out_of_time_order():
    """Objects added with `created` out of time order (a pinned clock, a backdated one): the store cannot skip to
    a range, so it scans, and answers the same."""
    from fake_stripe.params import created_bounds
    from fake_stripe.store import Store

    def pages(store: Store, bounds: dict) -> list[int]:
        params = {"created": bounds}

        def match(obj):
            return bounds["gte"] <= obj["created"] < bounds["lt"]

        seen, after = [], None
        while True:
            data, more = store.page("widget", 2, match, after, created=created_bounds(params))
            seen += [obj["created"] for obj in data]
            if not more:
                return seen
            after = data[-1]["id"]

    in_order, shuffled = Store(), Store()
    for n, created in enumerate([10, 20, 30, 40, 50, 60]):
        in_order.add({"id": f"w_{n}", "object": "widget", "created": created})
    for n, created in enumerate([40, 10, 60, 20, 50, 30]):
        shuffled.add({"id": f"w_{n}", "object": "widget", "created": created})
    assert pages(in_order, {"gte": 20, "lt": 50}) == [40, 30, 20]
    assert sorted(pages(shuffled, {"gte": 20, "lt": 50})) == [20, 30, 40]
    assert created_bounds({"created": {"gt": "5", "lte": "9"}}) == (6, 10)
    assert created_bounds({"created": "7"}) == (7, 8)
    assert created_bounds({}) is None
