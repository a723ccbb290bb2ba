"""The example project plus the live-API baseline routes of `benchmarks/live_api.py`."""

from example_project.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.live_api"
DEBUG = False
