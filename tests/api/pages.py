"""Pagination classes of a project's, for the tests. REST framework's own read PAGE_SIZE when they are imported (a
project's settings are loaded by then, a test's override_settings comes too late): the page size is set here."""

from rest_framework.pagination import CursorPagination, LimitOffsetPagination, PageNumberPagination

PAGE_SIZE = 3


class PageNumber(PageNumberPagination):
    page_size = PAGE_SIZE


class LimitOffset(LimitOffsetPagination):
    default_limit = PAGE_SIZE


class Cursor(CursorPagination):
    page_size = PAGE_SIZE


PAGINATIONS = {"page-number": PageNumber, "limit-offset": LimitOffset, "cursor": Cursor}
