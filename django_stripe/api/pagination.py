"""The REST lists paged as the project's REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] says (PageNumberPagination,
LimitOffsetPagination, CursorPagination or a subclass), or as a view's own `pagination_class`; bare arrays, as the
original API answered, without one.

The page is taken in the list's query (`django_stripe.payments.pages`): the list functions hand the paginator
their rows as a queryset in the list's own order. A CursorPagination pages in that order too (its `ordering` is
not used): a list answers in the same order, paged or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.settings import api_settings


class FromRestFrameworkSettings:
    """A view attribute that reads REST framework's setting `name` whenever it is read, rather than once when the
    views are imported (as GenericAPIView's own `pagination_class` does): a project's setting applies whatever the
    order of imports, and so does `override_settings` in its tests. A subclass's own attribute, or `as_view(...)`'s,
    replaces it (it is a non-data descriptor)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, view: Any, owner: type | None = None) -> Any:
        return getattr(api_settings, self.name)


# The largest page a client may ask for when the paginator sets no maximum: a `limit` past what the database's
# LIMIT holds (PostgreSQL's is a bigint) would be its error, and a page this large already holds the whole list.
LARGEST_PAGE = 2**31


class Pager:
    """`paginate` for the list functions of `django_stripe.payments`: the view's paginator takes its page of the
    rows, and `paged` tells whether it did (a PageNumberPagination without a page size does not)."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.paged = False

    def __call__(self, rows: QuerySet) -> Sequence[dict[str, Any]] | None:
        paginator = self.view.paginator
        if isinstance(paginator, CursorPagination):
            paginator.ordering = tuple(rows.query.order_by)
        bound_page_size(paginator)
        page = paginator.paginate_queryset(rows, self.view.request, view=self.view)
        self.paged = page is not None
        return page


def bound_page_size(paginator: Any) -> None:
    """Caps the page size a client asks for at LARGEST_PAGE, where the paginator sets no cap of its own."""
    cap = "max_limit" if isinstance(paginator, LimitOffsetPagination) else "max_page_size"
    if getattr(paginator, cap, None) is None:
        setattr(paginator, cap, LARGEST_PAGE)
