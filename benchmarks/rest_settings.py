"""The REST benchmark's server: `benchmarks.bench_settings`, with the database connections kept
`DJANGO_STRIPE_BENCH_CONN_MAX_AGE` seconds (`bench_rest.py --conn-max-age`, default 60).

With Django's default (CONN_MAX_AGE 0) every request opens a new PostgreSQL connection: on this machine
2 to 3 ms of the two cores (a backend forked, authenticated, its caches filled), more than the rest of a
mirror read. A production deployment keeps its connections (CONN_MAX_AGE, or a pool such as pgbouncer), so
the benchmark does too, whatever the example project's setting, for the mirror, its floor and the live-API
baseline alike; `--conn-max-age 0` measures Django's default instead.
"""

import os

from benchmarks.bench_settings import *  # noqa: F403
from benchmarks.bench_settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DJANGO_STRIPE_BENCH_CONN_MAX_AGE", "60"))
