"""How the fake retries a subscription's failed payment (Stripe's "Manage failed payments" settings), set on the
fake by a test: `fake.dunning = Dunning()` (three retries three days apart, then canceled, as Stripe's default)
or `Dunning(retry_days=(1, 2), then="unpaid")`. By default (`fake.dunning = None`, restored by `reset()`) the
clock retries nothing: a failed invoice still says when Stripe would retry it (`next_payment_attempt`), and its
subscription stays `past_due` until the invoice is paid, as the fake always did, so existing tests keep their
answers."""

from __future__ import annotations

from dataclasses import dataclass

from .clock import DAY

OUTCOMES = ("canceled", "unpaid", "past_due")
NEXT_ATTEMPT_DAYS = (3, 3, 3)
"""The retries `next_payment_attempt` announces when the fake retries nothing itself (`fake.dunning` None)."""


@dataclass(frozen=True)
class Dunning:
    retry_days: tuple[int, ...] = NEXT_ATTEMPT_DAYS
    """Days from each failed attempt to the next: by default three retries, three days apart (Stripe's
    `next_payment_attempt`). A failed renewal makes the subscription `past_due`; the clock retries."""
    then: str = "canceled"
    """What the subscription becomes once the last retry failed: `canceled` (Stripe's default), `unpaid` (its
    later invoices stay drafts), or `past_due` (left as it is)."""

    def __post_init__(self) -> None:
        if self.then not in OUTCOMES:
            raise ValueError(f"Dunning.then is one of {OUTCOMES}, not {self.then!r}")
        if any(days < 0 for days in self.retry_days):
            raise ValueError("Dunning.retry_days are days from one attempt to the next: none can be negative")

    def next_attempt(self, attempt_count: int, now: int) -> int | None:
        """When the invoice is attempted again after its `attempt_count`-th failed attempt (None: no more)."""
        if attempt_count < 1 or attempt_count > len(self.retry_days):
            return None
        return now + self.retry_days[attempt_count - 1] * DAY


def next_attempt(dunning: Dunning | None, attempt_count: int, now: int) -> int | None:
    """`next_payment_attempt` after a failed attempt: `dunning`'s, or (None) the one Stripe's default announces."""
    return (dunning or Dunning()).next_attempt(attempt_count, now)
