"""Which functions handle which event types; `webhook_handler` is the public way to add one.

A pattern is an event type or a shell-style pattern (`"invoice.*"`). Every handler whose pattern matches
runs, built-in ones first, inside the transaction that applies the event: if one raises, the whole event
is rolled back, marked failed and retried. An event no handler matches is stored and marked ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ..models import WebhookEvent

Handler = Callable[["WebhookEvent"], object]
H = TypeVar("H", bound=Handler)

_handlers: list[tuple[str, Handler]] = []


def webhook_handler(*patterns: str) -> Callable[[H], H]:
    """Register the decorated function for events whose type matches any of `patterns`.

    @webhook_handler("invoice.paid")
    def thank_customer(event):
        invoice = event.payload["data"]["object"]
    """
    if not patterns:
        raise TypeError("webhook_handler() needs at least one event type or pattern")

    def register(handler: H) -> H:
        for pattern in patterns:
            if (pattern, handler) not in _handlers:  # a module imported twice registers once
                _handlers.append((pattern, handler))
        return handler

    return register


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers of one event type, in registration order, each once."""
    found: list[Handler] = []
    for pattern, handler in _handlers:
        if handler not in found and fnmatchcase(event_type, pattern):
            found.append(handler)
    return found


def unregister(handler: Handler) -> None:
    """Remove a handler (tests, or a project replacing a built-in one)."""
    _handlers[:] = [(pattern, registered) for pattern, registered in _handlers if registered is not handler]


def patterns() -> list[str]:
    """Every registered event type or pattern, in registration order, each once."""
    return list(dict.fromkeys(pattern for pattern, _ in _handlers))
