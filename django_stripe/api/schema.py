"""OpenAPI generation for views that serve a list and its instances from one class.

The schema (`GET schema/`) does not depend on the project's REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]: every view
of the API carries StripeAutoSchema, `extend_schema` here builds a method's annotation on it, and the schema
view's generator gives any other view still on DRF's own AutoSchema drf-spectacular's. drf-spectacular alone
needs DEFAULT_SCHEMA_CLASS set to its AutoSchema: its `extend_schema` builds on DEFAULT_SCHEMA_CLASS as it is
when a views module is imported, and with DRF's default there `GET schema/` was a 500
(`AutoSchema.get_operation() takes 3 positional arguments but 6 were given`).
"""

from __future__ import annotations

from typing import Any

import uritemplate
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema as spectacular_extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView


class StripeAutoSchema(AutoSchema):
    """A GET without an `obj_id` in its path answers a list."""

    def _is_list_view(self, serializer=None) -> bool:
        if self.method == "GET" and not getattr(self.view, "single_object", False):
            return "obj_id" not in uritemplate.variables(self.path)
        return super()._is_list_view(serializer)


def extend_schema(schema_class: type[AutoSchema] = StripeAutoSchema, **kwargs: Any):
    """drf-spectacular's `extend_schema` for a view method, built on `schema_class` (the view's own) whatever
    DEFAULT_SCHEMA_CLASS is: the decorator takes the schema a function carries as its base."""
    decorate = spectacular_extend_schema(**kwargs)

    def decorator(method):
        if "schema" in getattr(method, "kwargs", {}):  # a second annotation builds on the first
            return decorate(method)
        method.schema = schema_class
        try:
            return decorate(method)
        finally:
            del method.schema

    return decorator


class StripeSchemaGenerator(SchemaGenerator):
    """drf-spectacular's generator, for a project whatever its DEFAULT_SCHEMA_CLASS: a view left with DRF's own
    AutoSchema (the schema view itself, a project's view) is described by drf-spectacular's instead."""

    def create_view(self, callback, method, request=None):
        view = super().create_view(callback, method, request)
        if not isinstance(view.schema, AutoSchema):
            self._set_schema_to_view(view, AutoSchema())
        return view


class StripeSchemaView(SpectacularAPIView):
    """`GET schema/`: drf-spectacular's schema view, on drf-spectacular's AutoSchema and StripeSchemaGenerator."""

    schema = AutoSchema()
    generator_class = StripeSchemaGenerator

    @extend_schema(schema_class=AutoSchema, **SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
