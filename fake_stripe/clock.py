"""The fake's time: the wall clock plus however far a test advanced it, or pinned while the fake processes
what happened at one instant of a clock advance. Also the calendar arithmetic of billing periods."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime

DAY = 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.offset = 0
        self._pinned: int | None = None

    def now(self) -> int:
        if self._pinned is not None:
            return self._pinned
        return int(time.time()) + self.offset

    def pin(self, timestamp: int | None) -> None:
        """Hold `now()` at `timestamp` (None releases it)."""
        self._pinned = timestamp

    def move_to(self, timestamp: int) -> None:
        self.offset = max(self.offset, timestamp - int(time.time()))

    def reset(self) -> None:
        self.offset = 0
        self._pinned = None


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """`timestamp` plus `count` days, weeks, months or years; months keep the day, clamped to the month's end."""
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    moment = datetime.fromtimestamp(timestamp, UTC)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_end_after(anchor: int, start: int, interval: str, count: int = 1) -> int:
    """The first billing date after `start` on the cycle anchored at `anchor` (so Jan 31 -> Feb 28 -> Mar 31)."""
    if count < 1:
        # A cycle that does not move forward would never pass `start`: refuse instead of spinning forever.
        raise ValueError(f"A billing interval needs a count of at least 1, not {count}.")
    periods = 1
    while (end := add_interval(anchor, interval, count * periods)) <= start:
        periods += 1
    return end
