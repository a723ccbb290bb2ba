"""Lists a caller pages: the list functions hand their rows to a `paginate` function of the caller's (the REST
API gives REST framework's `paginate_queryset`), which answers one page of them.

The rows are a queryset of dicts in the list's own order (its `query.order_by`), holding what the list is made
from and the columns it is ordered by (a cursor paginator reads its position from them), so that the page is
taken in the query (LIMIT and OFFSET, or a keyset on the order) rather than from every row. Without `paginate`,
or when it answers None (no page size set), a list is the whole list, in its precompiled query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet

Row = dict[str, Any]
Paginate = Callable[[QuerySet], Sequence[Row] | None]


def page_of(paginate: Paginate | None, rows: Callable[[], QuerySet]) -> list[Row] | None:
    """The page `paginate` takes of `rows()`, or None when the list is not paged. `rows` is called only when
    there is a `paginate`: building a queryset costs more than the precompiled whole list does."""
    if paginate is None:
        return None
    page = paginate(rows())
    return None if page is None else list(page)
