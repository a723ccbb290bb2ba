"""The fetch ahead of list pages: the next page is read while the current one is written, and never more."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from django_stripe.sync import paging
from django_stripe.sync.paging import Page, iter_pages

T = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
PAGES = 5


class FakeList:
    """Stands in for `fetch_page`: page n holds the one object `obj_n`; records which pages were asked for."""

    def __init__(self, release: threading.Event | None = None) -> None:
        self.requested: list[int] = []
        self.started: defaultdict[int, threading.Event] = defaultdict(threading.Event)
        self.release = release  # when given, a fetch after the first one waits for it

    def __call__(self, path, params, backoff):
        after = params.get("starting_after")
        n = 0 if after is None else int(after.removeprefix("obj_")) + 1
        self.requested.append(n)
        self.started[n].set()
        if self.release is not None and n > 0:
            self.release.wait(10)
        return Page([{"id": f"obj_{n}"}], has_more=n < PAGES - 1, stamp=T)


def test_the_next_page_is_fetched_while_the_current_one_is_written_and_no_further(monkeypatch):
    fetch = FakeList()
    monkeypatch.setattr(paging, "fetch_page", fetch)

    written = []
    for n, page in enumerate(iter_pages("/v1/things", {})):
        if n + 1 < PAGES:
            assert fetch.started[n + 1].wait(5)  # the next page is asked for while this one is "written"...
        time.sleep(0.05)  # ...and, however long the write takes, nothing beyond it
        assert fetch.requested == list(range(min(n + 2, PAGES)))
        written.append(page.last_id)

    assert written == [f"obj_{n}" for n in range(PAGES)]
    assert fetch.requested == list(range(PAGES))  # each page asked for once


def test_leaving_early_drops_the_page_fetched_ahead_without_waiting_for_it(monkeypatch):
    release = threading.Event()
    fetch = FakeList(release)
    monkeypatch.setattr(paging, "fetch_page", fetch)
    pages = iter_pages("/v1/things", {})

    next(pages)
    assert fetch.started[1].wait(5)  # page 1 is in flight, held by the fake
    started = time.monotonic()
    pages.close()  # the write of page 0 failed, say

    assert time.monotonic() - started < 1
    release.set()
    time.sleep(0.05)
    assert fetch.requested == [0, 1]


@pytest.mark.parametrize("has_more", [True, False])
def test_an_empty_page_ends_the_list(monkeypatch, has_more):
    requested = []

    def fetch(path, params, backoff):
        requested.append(params.get("starting_after"))
        return Page([], has_more=has_more, stamp=T)

    monkeypatch.setattr(paging, "fetch_page", fetch)

    assert [page.data for page in iter_pages("/v1/things", {}, "obj_9")] == [[]]
    assert requested == ["obj_9"]
