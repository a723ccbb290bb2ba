"""`make bench`: every benchmark at sizes that fit a 2-core machine in under ten minutes, then one report.

    .venv/bin/python benchmarks/run.py [--only webhooks access ...]

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL; by default 127.0.0.1 and a database
`django_stripe_bench`, created when missing). Writes benchmarks/results/<date>.json with every figure,
and benchmarks/results/<date>.md with the tables and plots (PNG) beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/django_stripe_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

# name -> arguments: the sizes are chosen so that the whole run fits in about ten minutes on 2 cores.
BENCHMARKS = {
    "fake": ["benchmarks/bench_fake.py", "--seconds", "1"],
    "webhooks": ["benchmarks/bench_webhooks.py", "--events", "3000", "--processes", "1", "2", "4"],
    # The rate-limited runs (issue 28) are the longest: 100,000 objects at 25 and 100 requests/s, a million at
    # 100/s, and a SIGKILLed 100,000 resumed: about four minutes with parallel segments at 150 ms a request.
    "backfill": [
        "benchmarks/bench_backfill.py",
        *("--sizes", "1000", "10000", "30000"),
        *("--rate-limits", "25", "100", "--rate-limited-size", "100000"),
        *("--million-size", "1000000", "--resume-size", "100000"),
    ],
    "access": ["benchmarks/bench_access.py", "--sizes", "1000", "10000", "100000", "--calls", "1000"],
    "rest": ["benchmarks/bench_rest.py", "--seconds", "4", "--clients", "4"],
    "djstripe": ["benchmarks/bench_djstripe.py", "--events", "600"],
    "prune": ["benchmarks/bench_prune.py", "--rows", "1000000"],
    "usage": ["benchmarks/bench_usage.py", "--reports", "20000"],
}


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def run(name: str, arguments: list[str], env: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        started = time.monotonic()
        print(f"== {name}: {' '.join(arguments)}", flush=True)
        subprocess.run([sys.executable, *arguments, "--json", output.name], cwd=ROOT, env=env, check=True)
        figures = json.loads(Path(output.name).read_text())
        figures["run_seconds"] = round(time.monotonic() - started, 1)
        figures["load_average_after"] = os.getloadavg()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE),
        "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS),
    }
    ensure_database(env["DATABASE_URL"])
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / date.today().isoformat()
    # --only re-measures some benchmarks into the day's report: the others keep today's earlier figures.
    earlier = (
        json.loads(stem.with_suffix(".json").read_text()) if args.only and stem.with_suffix(".json").exists() else {}
    )
    measured = {
        name: run(name, arguments, env) for name, arguments in BENCHMARKS.items() if name in (args.only or BENCHMARKS)
    }
    machine = {"cores": os.cpu_count(), "load_average": os.getloadavg(), "python": sys.version.split()[0]}
    figures = {**earlier, **measured, "machine": machine}
    stem.with_suffix(".json").write_text(json.dumps(figures, indent=1))
    from benchmarks.report import write_report

    write_report(figures, stem)
    print(f"\nwrote {stem.with_suffix('.json').relative_to(ROOT)} and {stem.with_suffix('.md').relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
