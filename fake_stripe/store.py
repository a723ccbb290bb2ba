"""The fake's memory: every object by id (a dict lookup, never a scan), and per object type the ids in
creation order, which is what Stripe's lists page through (newest first)."""

from __future__ import annotations

import secrets
import string
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

from .errors import resource_missing

StripeObject = dict[str, Any]
_ALPHABET = string.ascii_letters + string.digits


def random_id(prefix: str, length: int = 14) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Store:
    def __init__(self) -> None:
        self._objects: dict[str, StripeObject] = {}
        self._order: dict[str, list[str]] = {}
        self._position: dict[str, int] = {}
        self._owned: dict[tuple[str, str], list[str]] = {}
        self._created: dict[str, list[int]] = {}
        """Per type, each object's `created` in creation order: sorted unless the type is in `_unsorted`."""
        self._unsorted: set[str] = set()
        """Types whose `created` went back in the order (a pinned clock, a backdated object): no skipping."""
        self.private: dict[str, dict[str, Any]] = {}
        """What the fake knows about an object but Stripe never shows (a card's number, a reminder sent)."""

    def __len__(self) -> int:
        return len(self._objects)

    def new_id(self, prefix: str, length: int = 14) -> str:
        while True:
            object_id = random_id(prefix, length)
            if object_id not in self._objects:
                return object_id

    def add(self, obj: StripeObject, owner: str | None = None) -> StripeObject:
        """Keep `obj`; with `owner` (an id that never changes for it, such as a subscription's customer) it is
        also listed under that owner, so `owned_by` finds it without a scan."""
        object_id = obj["id"]
        order = self._order.setdefault(obj["object"], [])
        self._position[object_id] = len(order)
        order.append(object_id)
        created, times = obj.get("created"), self._created.setdefault(obj["object"], [])
        if not isinstance(created, int) or (times and created < times[-1]):
            self._unsorted.add(obj["object"])
        times.append(created if isinstance(created, int) else 0)
        self._objects[object_id] = obj
        if owner is not None:
            self._owned.setdefault((owner, obj["object"]), []).append(object_id)
        return obj

    def get(self, object_id: str) -> StripeObject | None:
        return self._objects.get(object_id) if isinstance(object_id, str) else None  # an object param is no id

    def require(self, object_id: Any, object_type: str, param: str = "id", name: str | None = None) -> StripeObject:
        """The object of that type, or Stripe's 404 `resource_missing`."""
        obj = self._objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj["object"] != object_type or obj.get("deleted"):
            raise resource_missing(name or object_type.split(".")[-1].replace("_", " "), str(object_id), param)
        return obj

    def replace(self, obj: StripeObject) -> None:
        """Put a deletion stub (`{"id", "object", "deleted": true}`) or a new version in place of an object."""
        self._objects[obj["id"]] = obj

    def remove(self, object_id: str) -> None:
        """Forget an object: its id answers 404 and lists skip it (its slot in the order stays, empty)."""
        self._objects.pop(object_id, None)
        self._position.pop(object_id, None)

    def newest_first(self, object_type: str) -> Iterator[StripeObject]:
        order = self._order.get(object_type, [])
        for index in range(len(order) - 1, -1, -1):
            obj = self._objects.get(order[index])
            if obj is not None and not obj.get("deleted"):
                yield obj

    def owned_by(self, owner: str, object_type: str) -> list[StripeObject]:
        """The objects of `object_type` added with this `owner`, newest first (deleted ones left out)."""
        found = (self._objects.get(object_id) for object_id in reversed(self._owned.get((owner, object_type), [])))
        return [obj for obj in found if obj is not None and not obj.get("deleted")]

    def page(
        self,
        object_type: str,
        limit: int,
        match: Callable[[StripeObject], bool] | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: tuple[int | None, int | None] | None = None,
    ) -> tuple[list[StripeObject], bool]:
        """One page of a Stripe list, newest first, and whether there is more in the direction of paging.

        Walks the creation order from the cursor, so a page costs its own length (plus what the filter skips).
        `created`: the `[from, to)` range `match` keeps, if it filters on `created`; while the type's objects
        were created in time order, the walk stays inside the range (a bisection) instead of passing every
        object outside it: a backfill segment of a million objects costs its own pages.
        """
        order = self._order.get(object_type, [])
        low, high = self._window(object_type, created, len(order))
        if ending_before:
            start, step = self._cursor(object_type, ending_before, "ending_before") + 1, 1
        elif starting_after:
            start, step = self._cursor(object_type, starting_after, "starting_after") - 1, -1
        else:
            start, step = len(order) - 1, -1
        found: list[StripeObject] = []
        index = max(start, low) if step == 1 else min(start, high - 1)
        while low <= index < high and len(found) <= limit:
            obj = self._objects.get(order[index])
            if obj is not None and not obj.get("deleted") and (match is None or match(obj)):
                found.append(obj)
            index += step
        has_more = len(found) > limit
        found = found[:limit]
        if step == 1:
            found.reverse()
        return found, has_more

    def _window(self, object_type: str, created: tuple[int | None, int | None] | None, size: int) -> tuple[int, int]:
        """The positions `[low, high)` in the creation order that can hold objects of the `created` range."""
        if created is None or object_type in self._unsorted:
            return 0, size
        times = self._created.get(object_type, [])
        since, until = created
        return (bisect_left(times, since) if since is not None else 0), (
            bisect_left(times, until) if until is not None else size
        )

    def _cursor(self, object_type: str, object_id: str, param: str) -> int:
        position = self._position.get(object_id) if isinstance(object_id, str) else None
        obj = self._objects.get(object_id) if position is not None else None
        if position is None or obj is None or obj["object"] != object_type:
            raise resource_missing(object_type.split(".")[-1].replace("_", " "), str(object_id), param)
        return position
