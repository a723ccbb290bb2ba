"""The operations commands as a user runs them: `manage.py` processes against the fake Stripe in its own process,
on a SQLite file of their own; what they print and their exit status."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from tests.sync.test_backfill_process import command_env, create_customers, manage, server  # noqa: F401


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(manage(*args), env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def mirror(server, tmp_path):  # noqa: F811
    db = tmp_path / "mirror.sqlite3"
    env = command_env(server, db)
    subprocess.run(manage("migrate", "-v", "0"), env=env, check=True, timeout=120)
    create_customers(server["port"], 3)
    assert run(env, "stripe_sync", "customers", "--no-progress").returncode == 0
    return {"env": env, "db": db, "server": server}


def test_the_operations_commands_as_a_user_runs_them(mirror):
    # One mirror for the three (a migrated database costs seconds).
    stripe_sync_check_exits_0_then_1_when_stripe_moved_on(mirror)
    stripe_status_exits_by_its_problems(mirror)
    stripe_prune_events_dry_run_counts(mirror)


def stripe_sync_check_exits_0_then_1_when_stripe_moved_on(mirror):
    same = run(mirror["env"], "stripe_sync", "--check", "customers", "--no-progress")
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[-1].split() == ["customers", "3", "0", "0", "0", "0", "0", "ok"]

    create_customers(mirror["server"]["port"], 1)  # no webhook: the mirror does not know it
    moved = run(mirror["env"], "stripe_sync", "--check", "customers", "--no-progress")
    assert moved.returncode == 1
    assert moved.stdout.splitlines()[0].endswith(": missing in the mirror")
    assert moved.stderr.strip().startswith("CommandError: 1 object(s) differ between the mirror and Stripe.")


def stripe_status_exits_by_its_problems(mirror):
    healthy = run(mirror["env"], "stripe_status")
    assert healthy.returncode == 0 and healthy.stdout.rstrip().endswith("Healthy.") and healthy.stderr == ""
    assert "customers" in healthy.stdout

    connection = sqlite3.connect(mirror["db"])
    with connection:
        connection.execute(
            "INSERT INTO django_stripe_webhook_event (id, type, livemode, created, payload, status, attempts, error, "
            "traceback, received_at) VALUES ('evt_stuck', 'customer.updated', 0, datetime('now', '-1 hour'), '{}', "
            "'pending', 0, '', '', datetime('now', '-1 hour'))"
        )
    connection.close()
    stuck = run(mirror["env"], "stripe_status", "--json")
    assert stuck.returncode == 1 and stuck.stderr.strip() == "CommandError: unhealthy (pending_too_old)"
    assert json.loads(stuck.stdout)["events"]["pending"] == 1


def stripe_prune_events_dry_run_counts(mirror):
    dry = run(mirror["env"], "stripe_prune_events", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("Would delete 0 events received before ")
