"""The fake's answers and webhooks over a long scenario are the ones recorded: a refactoring of the fake that
changes a byte of a response or an event shows here. `RECORD_FAKE_SCENARIO=1 pytest <this file>` re-records
(only when a change of behaviour is meant)."""

from __future__ import annotations

import os
from pathlib import Path

from django_stripe.testing.fake import FakeStripe
from django_stripe.testing.server import FakeStripeServer

from .scenario import START, Inbox, Scenario, normalise, run

RECORD = Path(__file__).with_name("recorded_scenario.json")


def play() -> str:
    inbox, second_inbox = Inbox(), Inbox()
    fake = FakeStripe()
    # The account's default portal configuration is made by reset(), at the clock's time: pinned first, so that
    # it is the scenario's (reset() then releases the clock, which is pinned again).
    fake.clock.pin(START)
    fake.reset()
    fake.clock.pin(START)
    fake.add_webhook_endpoint(inbox.url, "whsec_scenario")
    try:
        with FakeStripeServer(fake) as server:
            scenario = Scenario(fake, server.url, inbox, second_inbox)
            run(scenario)
            return normalise(scenario) + "\n"
    finally:
        inbox.close()
        second_inbox.close()


def test_the_fake_answers_as_recorded():
    played = play()
    if os.environ.get("RECORD_FAKE_SCENARIO"):
        RECORD.write_text(played)
    recorded = RECORD.read_text()
    assert played == recorded


def test_the_scenario_is_long_and_replays_identically():
    # Two plays in one process, each on a fresh fake: nothing (ids, the clock, a port) leaks into the record.
    first = play()
    assert first == play()
    assert first.count('"step": ') >= 200
