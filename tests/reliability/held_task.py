"""Loaded into test_broker_loss.py's worker only (`celery worker -I tests.reliability.held_task`): a task that
holds its late-acknowledged message while the test kills the broker under it."""

from __future__ import annotations

import time

from celery import shared_task

NAME = "tests.reliability.hold"


@shared_task(name=NAME, acks_late=True)
def hold(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
