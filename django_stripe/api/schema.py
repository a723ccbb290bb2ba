"""OpenAPI generation for views that serve a list and its instances from one class."""

from __future__ import annotations

import uritemplate
from drf_spectacular.openapi import AutoSchema


class StripeAutoSchema(AutoSchema):
    """A GET without an `obj_id` in its path answers a list."""

    def _is_list_view(self, serializer=None) -> bool:
        if self.method == "GET" and not getattr(self.view, "single_object", False):
            return "obj_id" not in uritemplate.variables(self.path)
        return super()._is_list_view(serializer)
