"""A Stripe resource, declared once: where it lives (`/v1/products`), what its objects are called, how its lists
are filtered, and its events. The declaration registers the resource's retrieve and list routes; its other
routes are declared on it, relative to its path:

    products = Resource("product", "/v1/products", filters=(equal("active", as_bool), created_between()))

    @products.post("/{id}")
    def update_product(request: Request) -> StripeObject:
        product = products.require(request.fake, request.args["id"])
        with products.changing(request.fake, product):  # `product.updated`, if anything changed
            ...

A new resource is one module in `fake_stripe/resources/` (the package imports every module in it). Expansion
needs no declaration: `expand[]` replaces any id the store holds by its object.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from .lists import Check, all_of, field_is, list_page
from .params import Params, as_strings, created_bounds, created_filter
from .protocol import Fake
from .routing import Handler, Request, routes
from .store import StripeObject

Filter = Callable[[Params], Check | None]
"""A list filter: reads its parameter from the request (Stripe's 400 for a bad value) and gives the check on each
object, or None when the parameter was not given. A resource's filters read their parameters in order."""
Reader = Callable[[Params, str], Any]


def equal(param: str, read: Reader | None = None, field: str | None = None) -> Filter:
    """`?param=value` keeps the objects whose `field` (default: `param`) equals the value `read` gives."""
    return lambda params: field_is(field or param, read(params, param) if read else params.get(param))


def among(param: str, field: str) -> Filter:
    """`?param[]=a&param[]=b` keeps the objects whose `field` is one of the values (`ids[]`, `lookup_keys[]`)."""

    def read(params: Params) -> Check | None:
        wanted = set(as_strings(params, param))
        return (lambda obj: obj[field] in wanted) if wanted else None

    return read


def created_between(field: str = "created") -> Filter:
    """`created=...` or `created[gt|gte|lt|lte]=...` on the object's `field`."""

    def read(params: Params) -> Check | None:
        created = created_filter(params)
        return (lambda obj: created(obj[field])) if created else None

    read.created_field = field  # type: ignore[attr-defined]  # Resource.page's hint for the store
    return read


@dataclass(frozen=True)
class Resource:
    object: str
    """The objects' `object` (the store's type): "product", "checkout.session"."""
    path: str
    """The collection's URL: "/v1/products"; the retrieve route is `<path>/{id}`."""
    noun: str | None = None
    """How a 404 names a missing one ("checkout session"); None: from `object`, as `Store.require` does."""
    events: str | None = None
    """Its events' prefix ("customer.subscription" for subscriptions); None: `object`."""
    filters: tuple[Filter, ...] = ()
    retrieve_route: bool = True
    list_route: bool = True

    def __post_init__(self) -> None:
        _declared[self.object] = self
        if self.retrieve_route:
            routes.add("GET", self.path + "/{id}", self.retrieve)
        if self.list_route:
            routes.add("GET", self.path, self.page)

    # -- routes --------------------------------------------------------------------------------------------

    def get(self, suffix: str = "") -> Callable[[Handler], Handler]:
        return routes.get(self.path + suffix)

    def post(self, suffix: str = "") -> Callable[[Handler], Handler]:
        return routes.post(self.path + suffix)

    def delete(self, suffix: str = "") -> Callable[[Handler], Handler]:
        return routes.delete(self.path + suffix)

    def retrieve(self, request: Request) -> StripeObject:
        return self.require(request.fake, request.args["id"])

    def page(self, request: Request) -> dict[str, Any]:
        """A page of the resource, newest first, through its filters."""
        checks = [read(request.params) for read in self.filters]
        # Filtered by `created` (the backfill's segments): the store may skip to the range instead of scanning
        # past every newer object; the check above still decides, so the hint only saves time.
        by_created = any(getattr(read, "created_field", None) == "created" for read in self.filters)
        window = created_bounds(request.params) if by_created else None
        return list_page(request, self.object, all_of(*checks), created=window)

    def require(self, fake: Fake, object_id: Any, param: str = "id") -> StripeObject:
        """The object, or Stripe's 404 naming the resource as Stripe does."""
        return fake.store.require(object_id, self.object, param, self.noun)

    # -- events --------------------------------------------------------------------------------------------

    def emit(self, fake: Fake, what: str, obj: StripeObject) -> StripeObject:
        """The event `<prefix>.<what>` (`created`, `deleted`, `voided`, ...) with a snapshot of `obj`."""
        return fake.emit(f"{self.events or self.object}.{what}", obj)

    @contextmanager
    def changing(self, fake: Fake, obj: StripeObject) -> Iterator[StripeObject]:
        """Change `obj` in the block; after it, `<prefix>.updated` with `previous_attributes` if anything changed.

        Yields the snapshot taken before the block. An exception in the block emits nothing.
        """
        before = copy.deepcopy(obj)
        yield before
        self.updated(fake, obj, before)

    def updated(self, fake: Fake, obj: StripeObject, before: StripeObject) -> None:
        """`<prefix>.updated` with `previous_attributes`, if `obj` changed since `before` (its earlier copy): the
        form of `changing` for a change that spans functions (the copy is taken in one, the event sent in another)."""
        previous = diff(before, obj)
        if previous:
            fake.emit(f"{self.events or self.object}.updated", obj, previous)


_declared: dict[str, Resource] = {}


def declared(object_type: str) -> Resource:
    """The resource declared for objects of `object_type` (every module of `resources/` is imported at start)."""
    return _declared[object_type]


def changing(fake: Fake, obj: StripeObject) -> AbstractContextManager[StripeObject]:
    """`Resource.changing` for an object of any declared resource (one of another module, without importing it)."""
    return declared(obj["object"]).changing(fake, obj)


def updated(fake: Fake, obj: StripeObject, before: StripeObject) -> None:
    """`Resource.updated` for an object of any declared resource."""
    declared(obj["object"]).updated(fake, obj, before)


def emit(fake: Fake, what: str, obj: StripeObject) -> StripeObject:
    """`Resource.emit` for an object of any declared resource (`emit(fake, "deleted", subscription)`)."""
    return declared(obj["object"]).emit(fake, what, obj)


def diff(before: Any, after: Any) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the old value of every changed field, recursing into hashes."""
    previous: dict[str, Any] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and "object" not in old:
            previous[key] = diff(old, new)
        else:
            previous[key] = old
    return previous
