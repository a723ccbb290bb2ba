"""django-stripe beside dj-stripe 2.11 on the same events (issue 12): events/s applied, SQL statements per
applied event, events/s through the webhook view, and the ratios. Goal: at least 10x dj-stripe's apply rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/djstripe_bench \\
        .venv/bin/python benchmarks/bench_djstripe.py [--events 600] [--sample 300] [--json out.json]

PostgreSQL is required (DATABASE_URL, by default the server on 127.0.0.1); REDIS_URL, when set, is the
broker our endpoint sends to (a queue of its own, deleted afterwards), else Celery's in-memory transport.
The events come from `bench_webhooks.make_events`: per customer, customer created/updated, subscription
created/updated (one item), invoice created/paid.

dj-stripe pins another Django and stripe than ours, so it lives in a venv of its own,
benchmarks/.djstripe-venv (created with pip on the first run, reused while it holds dj-stripe 2.11), and is
measured there by benchmarks/djstripe_side.py, on a database of its own (`<name>_djstripe_side`, created
and dropped). dj-stripe applies an event by re-fetching its object from Stripe (and any related object it
does not hold yet): that is part of its cost in any deployment, so it runs against the fake Stripe over
HTTP on loopback, seeded with every object of the events in its newest state; the API calls it makes are
counted and reported.

Both libraries get the same events, one thread each, each measurement on emptied tables:
  - apply: ours `process_batch` over the stored events in batches of BATCH_SIZE (a worker's job);
    dj-stripe `Event.process(payload)` per event (what its webhook view calls);
  - statements per applied event on the first `--sample` events (not timed), BEGIN/COMMIT/SAVEPOINT/
    RELEASE not counted; ours amortised over its batches;
  - view: signed POSTs through Django's test Client, in-process. Ours verifies, stores and hands the id to
    the dispatcher; dj-stripe's applies the event before it answers (reported as measured).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_bench"
# Before Django reads the example project's settings (on importing bench_webhooks): our endpoint's secret,
# and PostgreSQL by default, since dj-stripe runs on it.
os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/djstripe_bench")
sys.path.insert(0, str(ROOT))

from celery import current_app  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.bench_webhooks import batches, count_queries, make_events, store  # noqa: E402 (sets Django up)
from benchmarks.results import emit  # noqa: E402
from django_stripe.models import Customer, Invoice, Subscription, WebhookEvent  # noqa: E402
from django_stripe.testing.factories import ProductPayloadFactory  # noqa: E402
from django_stripe.testing.fake import FakeStripe  # noqa: E402
from django_stripe.testing.server import FakeStripeServer  # noqa: E402
from django_stripe.webhooks.batches import BATCH_SIZE, process_batch  # noqa: E402
from django_stripe.webhooks.processing import Status  # noqa: E402

VENV = ROOT / "benchmarks" / ".djstripe-venv"
REQUIREMENTS = ["dj-stripe==2.11.*", "psycopg[binary]"]  # pip picks the Django and stripe dj-stripe pins
SIDE = ROOT / "benchmarks" / "djstripe_side.py"
MIRRORED = {"customer": Customer, "subscription": Subscription, "invoice": Invoice}


# -- dj-stripe, in its own venv ----------------------------------------------------------------------------


def djstripe_python() -> Path:
    """The python of a venv holding dj-stripe 2.11: the cached one, else a new one installed with pip."""
    python = VENV / "bin" / "python"
    if python.exists() and djstripe_version(python).startswith("2.11."):
        return python
    print(f"creating {VENV} with {' '.join(REQUIREMENTS)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    return python


def djstripe_version(python: Path) -> str:
    probe = "import importlib.metadata as m; print(m.version('dj-stripe'))"
    answer = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    return answer.stdout.strip() if answer.returncode == 0 else ""


def seed(fake: FakeStripe, events: list[dict]) -> int:
    """Store in the fake every object the events are about, in its newest state (what Stripe answers when
    dj-stripe re-fetches it after the burst), and the subscription items, prices and products they embed
    or name; returns how many objects."""
    objects: dict[str, dict] = {}
    for payload in events:  # oldest first: the newest state of each object wins
        obj = payload["data"]["object"]
        objects[obj["id"]] = obj
        for item in obj["items"]["data"] if obj["object"] == "subscription" else ():
            objects[item["id"]] = item
            objects[item["price"]["id"]] = item["price"]
            product = item["price"]["product"]
            objects.setdefault(product, ProductPayloadFactory(id=product, created=item["price"]["created"]))
    with fake.locked():
        for obj in objects.values():
            fake.store.add(copy.deepcopy(obj))
    return len(objects)


def measure_djstripe(events: list[dict], sample: int) -> dict:
    """Run djstripe_side.py in dj-stripe's venv against the seeded fake; its figures. The fake serves from a
    thread of this process (FakeStripeServer, what `python -m django_stripe.testing.server` runs), so that it
    can be seeded through its Python API; this process only waits meanwhile, so the fake has a core of its
    own, as a separate server process would."""
    python = djstripe_python()
    settings = connection.settings_dict
    database = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}_djstripe_side"
    with FakeStripeServer() as server, tempfile.NamedTemporaryFile("w", suffix=".json") as payloads:
        seeded = seed(server.fake, events)
        json.dump(events, payloads)
        payloads.flush()
        command = [str(python), str(SIDE), "--payloads", payloads.name, "--sample", str(sample)]
        command += ["--database-url", database, "--stripe-api", server.url]
        answer = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    return {**json.loads(answer.stdout.strip().splitlines()[-1]), "objects_in_fake": seeded}


# -- ours, in this process ---------------------------------------------------------------------------------


def emptied() -> None:
    """Empty every table of the throw-away database, so that each measurement starts from the same state."""
    call_command("flush", interactive=False, verbosity=0)


def our_statements(sample: list[dict]) -> float:
    emptied()
    return count_queries(store(sample))


def our_apply(events: list[dict]) -> float:
    """Events/s applied by one worker process: `process_batch` over the stored events, batch after batch."""
    emptied()
    ids = store(events)
    started = time.perf_counter()
    for batch in batches(ids):
        process_batch(batch)
    elapsed = time.perf_counter() - started
    done = WebhookEvent.objects.filter(status__in=(Status.PROCESSED, Status.IGNORED)).count()
    assert done == len(events), (done, len(events))
    check_mirrored(events)
    return len(events) / elapsed


def check_mirrored(events: list[dict]) -> None:
    """Every customer, subscription and invoice of the events has its row: the speed is of real work."""
    objects = {(payload["data"]["object"]["object"], payload["data"]["object"]["id"]) for payload in events}
    expected = Counter(kind for kind, _ in objects)
    found = {kind: model.objects.count() for kind, model in MIRRORED.items()}
    assert found == {kind: expected[kind] for kind in MIRRORED}, (found, expected)


def our_view(events: list[dict]) -> float:
    """Events/s POSTed to our endpoint in-process (verify, store, hand the id to the dispatcher thread),
    every one answered 200; then waits (untimed) until the dispatcher has sent them all on."""
    emptied()
    client = Client()
    bodies = [json.dumps(payload).encode() for payload in events]
    started = time.perf_counter()
    for body in bodies:
        signature = FakeStripe.sign(body, SECRET)
        response = client.post("/api/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200, response.content
    elapsed = time.perf_counter() - started
    wait_until_sent(len(events))
    return len(events) / elapsed


def wait_until_sent(count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while WebhookEvent.objects.filter(enqueued_at__isnull=False).count() < count:
        assert time.monotonic() < deadline, "the dispatcher did not send every stored event on"
        time.sleep(0.05)


def measure_ours(events: list[dict], sample: list[dict]) -> dict:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"django-stripe-bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue  # the endpoint's messages go to a queue no worker reads
    try:
        return {
            "statements_per_event": our_statements(sample),
            "apply_per_second": our_apply(events),
            "view_per_second": our_view(events),
            "batch_size": BATCH_SIZE,
        }
    finally:
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)


# -- the comparison ----------------------------------------------------------------------------------------


def comparison(ours: dict, theirs: dict) -> dict:
    """Both libraries' figures side by side, and ours / dj-stripe's for each."""
    djstripe = {
        "version": theirs["versions"]["dj-stripe"],
        "versions": theirs["versions"],
        "apply_per_second": theirs["apply"]["events_per_second"],
        "statements_per_event": theirs["statements_per_event"],
        "view_per_second": theirs["view"]["events_per_second"],
        "view_applies_in_request": theirs["view"]["applied_in_request"],
        "api_calls_per_event": theirs["api_calls_per_event"],
        "api_calls_per_event_apply": theirs["apply"]["api_calls"] / theirs["events"],
        "api_calls_per_event_view": theirs["view"]["api_calls"] / theirs["events"],
        "api_calls_by_endpoint": theirs["api_calls_by_endpoint"],
        "api_calls_by_type": theirs["api_calls_by_type"],
        "statements_by_type": theirs["statements_by_type"],
        "objects_in_fake": theirs["objects_in_fake"],
    }
    names = ("apply_per_second", "statements_per_event", "view_per_second")
    return {"ours": ours, "djstripe": djstripe, "ratios": {name: ours[name] / djstripe[name] for name in names}}


def report(figures: dict) -> None:
    ours, theirs, ratios = figures["ours"], figures["djstripe"], figures["ratios"]
    print(f"\n{figures['events']} events ({figures['sample']} for the counts), PostgreSQL, one thread each")
    print(f"{'library':<22} {'apply events/s':>15} {'statements/event':>17} {'view events/s':>14}")
    for name, row in (("django-stripe", ours), (f"dj-stripe {theirs['version']}", theirs)):
        print(f"{name:<22} {row['apply_per_second']:>15,.1f} {row['statements_per_event']:>17.2f} "
              f"{row['view_per_second']:>14,.1f}")  # fmt: skip
    print(f"{'ours / dj-stripe':<22} {ratios['apply_per_second']:>14.1f}x {ratios['statements_per_event']:>16.2f}x "
          f"{ratios['view_per_second']:>13.1f}x")  # fmt: skip
    verdict = "met" if ratios["apply_per_second"] >= 10 else "NOT met"
    print(f"goal (apply >= 10x dj-stripe's events/s): {verdict}")
    print(f"\ndj-stripe per event: {theirs['statements_per_event']:.1f} statements, "
          f"{theirs['api_calls_per_event']:.2f} Stripe API calls (to the fake on loopback, "
          f"{theirs['objects_in_fake']} objects seeded):")  # fmt: skip
    for endpoint, calls in theirs["api_calls_by_endpoint"].items():
        print(f"  {endpoint}: {calls:.2f}")
    for kind, statements in theirs["statements_by_type"].items():
        print(f"  {kind}: {statements:.1f} statements, {theirs['api_calls_by_type'][kind]:.2f} API calls")
    applied = "applies the event before answering" if theirs["view_applies_in_request"] else "does not apply it"
    print(f"dj-stripe's view {applied}; ours stores it and answers (a worker applies it).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--sample", type=int, default=300, help="events whose statements are counted")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "dj-stripe is measured on PostgreSQL: set DATABASE_URL to one"
    started = time.monotonic()
    events = make_events(args.events)
    sample = min(args.sample, len(events))
    theirs = measure_djstripe(events, sample)
    ours = measure_ours(events, events[:sample])
    figures = {"database": connection.vendor, "events": len(events), "sample": sample, **comparison(ours, theirs)}
    figures["seconds"] = round(time.monotonic() - started, 1)
    report(figures)
    print(f"({figures['seconds']:.0f} s in all)")
    emit(args.json, figures)


if __name__ == "__main__":
    main()
