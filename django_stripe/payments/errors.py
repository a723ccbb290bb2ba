"""The two families of errors the payment functions raise: Django's, or REST framework's when `rest=True`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404


def permission_denied(rest: bool, message: str) -> Exception:
    if rest:
        from rest_framework.exceptions import PermissionDenied as RestPermissionDenied

        return RestPermissionDenied(message)
    return PermissionDenied(message)


def not_found(rest: bool, message: str) -> Exception:
    if rest:
        from rest_framework.exceptions import NotFound

        return NotFound(message)
    return Http404(message)
