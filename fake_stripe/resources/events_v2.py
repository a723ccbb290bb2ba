"""The Events v2 API, for thin events: `GET /v2/core/events/{id}`, as the SDK's `EventNotification.fetch_event`
calls it. The fake keeps the thin twin of each event it sent to an event destination (fake_stripe/thin_events.py)."""

from __future__ import annotations

from ..errors import resource_missing
from ..routing import Request, routes
from ..store import StripeObject


@routes.get("/v2/core/events/{id}")
def retrieve_v2_event(request: Request) -> StripeObject:
    thin = request.fake.webhooks.thin_events.get(request.args["id"])
    if thin is None:
        raise resource_missing("event", request.args["id"])
    return thin
