"""A resource the fake does not have, declared as the fake's own are: this one file is all a new resource needs
(in the fake it lives in `fake_stripe/resources/`, which imports every module in it; here the test imports it).

Widgets: create (`widget.created`), update (`widget.updated` with `previous_attributes`), retrieve, and a list
filtered by `color` and `created`; each a route of the declaration.
"""

from __future__ import annotations

from fake_stripe.params import merge_metadata, require
from fake_stripe.resource import Resource, created_between, equal
from fake_stripe.routing import Request
from fake_stripe.store import StripeObject

widgets = Resource("widget", "/v1/test_widgets", filters=(equal("color"), created_between()))


@widgets.post()
def create_widget(request: Request) -> StripeObject:
    fake = request.fake
    widget = {
        "id": fake.store.new_id("wid_"),
        "object": "widget",
        "color": require(request.params, "color"),
        "created": fake.now(),
        "metadata": merge_metadata({}, request.params),
    }
    fake.store.add(widget)
    widgets.emit(fake, "created", widget)
    return widget


@widgets.post("/{id}")
def update_widget(request: Request) -> StripeObject:
    widget = widgets.retrieve(request)
    with widgets.changing(request.fake, widget):
        widget["color"] = request.params.get("color") or widget["color"]
    return widget
