"""The SDK transport that calls the fake in-process: `stripe.StripeClient(..., http_client=fake.http_client())`."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import stripe

if TYPE_CHECKING:
    from .protocol import Answers


class ResponseHeaders(Mapping[str, str]):
    """Case-insensitive response headers, as the SDK expects (it reads both `Request-Id` and `stripe-should-retry`)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {key.lower(): (key, value) for key, value in headers.items()}

    def __getitem__(self, key: str) -> str:
        return self._headers[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._headers

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._headers.values())

    def __len__(self) -> int:
        return len(self._headers)


class InProcessHTTPClient(stripe.HTTPClient):
    """Sends each SDK request straight to `FakeStripe.handle`: no socket, no thread."""

    name = "django-stripe-fake"

    def __init__(self, fake: Answers) -> None:
        super().__init__()
        self.fake = fake

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request_headers = {"Host": parts.netloc, **(headers or {})}
        status, response_headers, body = self.fake.handle(method, path, request_headers, post_data)
        return body, status, ResponseHeaders(response_headers)

    def request_stream(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[Any, int, Mapping[str, str]]:
        body, status, response_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(body.encode()), status, response_headers

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> tuple[bytes, int, Mapping[str, str]]:
        body, status, response_headers = self.request(method, url, headers, post_data)
        return body.encode(), status, response_headers

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass
