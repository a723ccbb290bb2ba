"""What the fake's parts need of the fake, as protocols: the resources, the pages, the control endpoints and the
transports are typed against these instead of importing `FakeStripe` back from `core` (which imports them all),
so the fake has no import circle. `FakeStripe` is the one implementation of all three."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from .clock import Clock
from .dunning import Dunning
from .ratelimit import RateLimit
from .store import Store, StripeObject
from .usage import Usage
from .webhooks import Delivery, Receiver, Webhooks


class Fake(Protocol):
    """The state a resource reads and changes: the store, the clock, events, webhook endpoints, entitlements."""

    store: Store
    clock: Clock
    webhooks: Webhooks
    public_url: str | None
    """Where the fake is reachable over HTTP (hosted pages link there), None in-process."""
    features: dict[str, list[str]]
    dunning: Dunning | None
    """How the clock retries failed subscription payments, and what follows the last retry (None: no retries)."""
    entitlement_summaries: dict[str, list[str]]
    usage: Usage
    """The meter events counted and pending, the v2 sessions, the meter error reports (`fake_stripe.usage`)."""

    def now(self) -> int: ...

    def get(self, object_id: str) -> StripeObject | None: ...

    def emit(
        self, event_type: str, obj: StripeObject, previous_attributes: dict[str, Any] | None = None
    ) -> StripeObject: ...

    def locked(self) -> AbstractContextManager[None]: ...


class ControlledFake(Fake, Protocol):
    """What a test drives from outside (the `/_fake/...` endpoints): delivery, faults, the clock, a reset."""

    delivery_mode: str
    rate_limit: RateLimit | None

    def reset(self) -> None: ...

    def queued_events(self) -> list[StripeObject]: ...

    def deliver(self, event: StripeObject, url: str | Receiver | None = None) -> list[Delivery]: ...

    def deliver_queued(self) -> list[Delivery]: ...

    def fail_next(self, n: int = 1, status: int | None = 500, delay: float | None = None, path: str = "") -> None: ...

    def process_meter_events(self) -> None: ...

    def pending_faults(self) -> int: ...

    def advance_clock(self, seconds: int) -> None: ...

    def complete_checkout_session(self, session_id: str, payment_method: str = "pm_card_visa") -> StripeObject: ...


class Answers(Protocol):
    """What a transport needs: one HTTP request in, `(status, headers, body)` out."""

    def handle(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> tuple[int, dict[str, str], str]: ...
