"""`manage.py stripe_sync`: what it prints, and one-line errors with a non-zero exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_stripe import models

from .seeding import seed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_sync_some_types_prints_a_summary_table(stripe_fake, capsys):
    seed(stripe_fake, products=2, customers=120, subscribers=3)

    call_command("stripe_sync", "customers", "products", "--no-progress")

    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "type", "objects", "created", "updated", "unchanged", "stale", "tombstoned", "seconds", "obj/s", "status"
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in out[2:]}
    assert list(rows) == ["products", "customers"]  # dependency order, whatever the order asked
    assert rows["customers"][1:3] == ["120", "120"] and rows["customers"][-1] == "ok"
    assert models.Customer.objects.count() == 120


def test_progress_bars_show_counts_and_rate(stripe_fake, capsys):
    seed(stripe_fake, products=1, customers=150, subscribers=0)

    call_command("stripe_sync", "customers", "--catch-up")

    err = capsys.readouterr().err
    assert "customers: 150obj" in err and "obj/s" in err
    assert "events:" in err


def test_unknown_types_are_refused_before_anything_runs(stripe_fake):
    with pytest.raises(CommandError, match="unknown type.*coupons.*choose from billing_meters, products, prices"):
        call_command("stripe_sync", "customers", "coupons")
    assert not models.SyncCursor.objects.exists()


def test_a_bad_key_stops_with_one_clean_line(stripe_fake, settings):
    settings.STRIPE_SECRET_KEY = "sk_bad_key"
    with pytest.raises(CommandError) as error:
        call_command("stripe_sync", "--no-progress")
    assert str(error.value).startswith("Stripe refused the API key")
    assert "\n" not in str(error.value)


def test_an_unreachable_stripe_stops_with_one_clean_line(stripe_fake, settings):
    settings.STRIPE_HTTP_CLIENT = None
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CommandError, match="^Stripe is unreachable") as error:
        call_command("stripe_sync", "products", "--no-progress")
    assert "\n" not in str(error.value)


def test_a_failing_type_is_reported_the_others_run_and_the_exit_status_is_an_error(stripe_fake, capsys):
    seed(stripe_fake, products=1, customers=5, subscribers=0)
    stripe_fake.fail_next(1, status=400)  # not retryable: the first type fails

    with pytest.raises(CommandError, match="1 of 2 failed"):
        call_command("stripe_sync", "products", "customers", "--no-progress")

    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "products: InvalidRequestError" in captured.err
    assert models.Customer.objects.count() == 5


def test_the_real_command_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STRIPE_SECRET_KEY": "sk_test_anything",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "STRIPE_WEBHOOK_SECRET": "whsec_test",
        # The example project names no product: without one, the command would print the W004 warning first.
        "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID": "prod_test",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "example_project" / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=120)

    done = subprocess.run(
        [*manage, "stripe_sync", "customers", "--no-progress"], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("CommandError: Stripe is unreachable at http://127.0.0.1:9 ([Errno 111]")
