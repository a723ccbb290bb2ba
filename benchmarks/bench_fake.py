"""Throughput of the fake Stripe, and proof that a lookup by id does not slow down as the store grows.

    .venv/bin/python benchmarks/bench_fake.py [--seconds 2]

Measures, through the official SDK (stripe.StripeClient):
  - requests/s in-process (FakeStripe.http_client()) and over HTTP (FakeStripeServer on 127.0.0.1),
    for a simple retrieve and for a list page of 100; and the same without the SDK (`fake.handle`
    called directly, and raw keep-alive HTTP with http.client), to separate the fake's cost from the SDK's;
  - the time of one lookup by id (the whole request pipeline, and the bare store) with 1,000 and with
    100,000 objects stored.
No Django needed.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import statistics
import sys
import time
from collections.abc import Callable

import stripe

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.results import emit  # noqa: E402
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.testing.fake.resources.catalog import create_product  # noqa: E402
from django_stripe.testing.server import FakeStripeServer  # noqa: E402

KEY = "sk_test_bench"
AUTH = {"Authorization": f"Bearer {KEY}"}


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of `call`, run for about `seconds`."""
    call()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        call()
        count += 1
    return count / elapsed


def per_call_us(call: Callable[[], object], repeat: int = 2000) -> float:
    """Median microseconds per call, over batches."""
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        samples.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(samples)


def fill(fake: FakeStripe, count: int) -> list[str]:
    with fake.locked():
        return [create_product(fake, {"name": f"Product {n}"})["id"] for n in range(count)]


def throughput(seconds: float) -> list[tuple[str, float, float, float, float]]:
    """Per request: SDK in-process, SDK over HTTP, and without the SDK: `fake.handle`, raw HTTP."""
    fake = FakeStripe()
    ids = fill(fake, 100)
    in_process = stripe.StripeClient(KEY, http_client=fake.http_client(), base_addresses={"api": "http://fake"})
    rows = []
    with FakeStripeServer(fake) as server:
        over_http = stripe.StripeClient(KEY, base_addresses={"api": server.url}, max_network_retries=0)
        connection = http.client.HTTPConnection(*server._server.server_address[:2])

        def raw_get(path: str) -> bytes:
            connection.request("GET", path, headers=AUTH)
            return connection.getresponse().read()

        for name, path, call in (
            ("retrieve a product", f"/v1/products/{ids[50]}", lambda c: c.v1.products.retrieve(ids[50])),
            ("list a page of 100 products", "/v1/products?limit=100", lambda c: c.v1.products.list({"limit": 100})),
        ):
            sdk_local = rate(lambda call=call: call(in_process), seconds)
            sdk_http = rate(lambda call=call: call(over_http), seconds)
            bare_local = rate(lambda path=path: fake.handle("GET", path, AUTH), seconds)
            bare_http = rate(lambda path=path: raw_get(path), seconds)
            rows.append((name, sdk_local, sdk_http, bare_local, bare_http))
        connection.close()
    return rows


def lookups() -> list[tuple[int, float, float]]:
    rows = []
    for size in (1_000, 100_000):
        fake = FakeStripe()
        ids = fill(fake, size)
        probe = ids[size // 2]
        gc.collect()
        gc.freeze()  # the stored objects stay put: keep the collector from re-walking them while timing
        pipeline = per_call_us(lambda probe=probe, fake=fake: fake.handle("GET", f"/v1/products/{probe}", AUTH))
        bare = per_call_us(lambda probe=probe, fake=fake: fake.store.get(probe), repeat=200_000)
        rows.append((size, pipeline, bare))
        gc.unfreeze()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput run")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    columns = ("sdk_in_process", "sdk_over_http", "fake_handle", "raw_http")
    figures: dict = {"throughput": {}, "lookup_us": {}}

    print(f"stripe {stripe.VERSION}, Python {sys.version.split()[0]}\n")
    print("| request | SDK in-process req/s | SDK over HTTP req/s | `fake.handle` req/s | raw HTTP req/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, *rates in throughput(options.seconds):
        figures["throughput"][name] = dict(zip(columns, rates, strict=True))
        print(f"| {name} | " + " | ".join(f"{rate:,.0f}" for rate in rates) + " |")
    print("\n| objects stored | lookup by id, whole request (µs) | lookup by id, store only (µs) |")
    print("| ---: | ---: | ---: |")
    for size, pipeline, bare in lookups():
        figures["lookup_us"][size] = {"request": pipeline, "store": bare}
        print(f"| {size:,} | {pipeline:.1f} | {bare:.2f} |")
    emit(options.json, figures)


if __name__ == "__main__":
    main()
