"""URL routing: the route table that `Resource` declarations fill (`@customers.post("/{id}")`, or
`@routes.get("/v1/customers/{customer}/payment_methods")` for a path under another resource) and `FakeStripe`
dispatches through. Paths without placeholders are a dict lookup; the others are tried in order."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .params import Params

if TYPE_CHECKING:
    from .protocol import Fake


@dataclass
class Request:
    fake: Fake
    method: str
    path: str
    params: Params
    args: dict[str, str] = field(default_factory=dict)
    credential: str = ""
    """The bearer the request came with: an API key, or a v2 meter event session's token."""
    request_id: str = ""


Handler = Callable[[Request], dict[str, Any]]


class RouteTable:
    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Handler] = {}
        self._dynamic: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        if "{" not in pattern:
            self._static[(method, pattern)] = handler
            return
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._dynamic.append((method, re.compile(f"^{regex}$"), handler))

    def _decorator(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return register

    def get(self, pattern: str) -> Callable[[Handler], Handler]:
        return self._decorator("GET", pattern)

    def post(self, pattern: str) -> Callable[[Handler], Handler]:
        return self._decorator("POST", pattern)

    def delete(self, pattern: str) -> Callable[[Handler], Handler]:
        return self._decorator("DELETE", pattern)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        handler = self._static.get((method, path))
        if handler is not None:
            return handler, {}
        for route_method, regex, handler in self._dynamic:
            if route_method == method and (found := regex.match(path)):
                return handler, found.groupdict()
        return None


routes = RouteTable()
