"""OpenAPI generation for views that serve a list and its instances from one class, the schema view, and the
Swagger UI and Redoc pages that show it.

The schema (`GET schema/`) does not depend on the project's REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]: every view
of the API carries StripeAutoSchema, `extend_schema` here builds a method's annotation on it, and the schema
view's generator gives any other view still on DRF's own AutoSchema drf-spectacular's. drf-spectacular alone
needs DEFAULT_SCHEMA_CLASS set to its AutoSchema: its `extend_schema` builds on DEFAULT_SCHEMA_CLASS as it is
when a views module is imported, and with DRF's default there `GET schema/` was a 500
(`AutoSchema.get_operation() takes 3 positional arguments but 6 were given`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import drf_spectacular
import uritemplate
from django.apps import apps
from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates
from django.templatetags.static import static
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiJsonRenderer2, OpenApiYamlRenderer
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema as spectacular_extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.renderers import BaseRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .. import __version__

TITLE = "django-stripe"
SCHEMA_URL_NAME = "stripe-api-schema"
# The pages' scripts served by the project itself (offline) when drf-spectacular's sidecar app is installed.
SIDECAR = {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}


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


def package_defaults() -> dict[str, Any]:
    """drf-spectacular's settings that django-stripe gives when the project's SPECTACULAR_SETTINGS leave them out:
    the schema's TITLE and VERSION (the package's), and the sidecar's scripts for the pages when
    "drf_spectacular_sidecar" is installed. A project's own value always wins."""
    defaults = {"TITLE": TITLE, "VERSION": __version__}
    if apps.is_installed("drf_spectacular_sidecar"):
        defaults.update(SIDECAR)
    own = getattr(settings, "SPECTACULAR_SETTINGS", None) or {}
    return {name: value for name, value in defaults.items() if name not in own}


def spectacular_setting(name: str) -> Any:
    """A drf-spectacular setting as the schema's pages use it: the project's, else the package's default."""
    return package_defaults().get(name, getattr(spectacular_settings, name))


class OpenApiYamlAsText(OpenApiYamlRenderer):
    """The YAML schema as text/plain, which a browser shows: it downloads drf-spectacular's media types."""

    media_type = "text/plain"


class StripeSchemaView(SpectacularAPIView):
    """`GET schema/`: drf-spectacular's schema view, on drf-spectacular's AutoSchema and StripeSchemaGenerator, titled
    and versioned by `package_defaults`. A browser (it asks for text/html) is answered YAML as text/plain, or
    JSON as application/json with `?format=json`, which it shows instead of downloading; API clients get
    drf-spectacular's media types as ever."""

    schema = AutoSchema()
    generator_class = StripeSchemaGenerator

    @extend_schema(schema_class=AutoSchema, **SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        # drf-spectacular's own mechanism for one view's settings (a view's custom_settings still win).
        self.custom_settings = {**package_defaults(), **(self.custom_settings or {})}
        return super().get(request, *args, **kwargs)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        if _from_a_browser(request):
            if request.query_params.get(api_settings.URL_FORMAT_OVERRIDE) == "json":
                return OpenApiJsonRenderer2(), OpenApiJsonRenderer2.media_type
            return OpenApiYamlAsText(), OpenApiYamlAsText.media_type
        return super().perform_content_negotiation(request, force)


def _from_a_browser(request: Request) -> bool:
    """A page opened in a browser: it asks for HTML first (API clients and the pages' own fetches do not)."""
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


class SpectacularTemplates(TemplateHTMLRenderer):
    """drf-spectacular's page templates, found whether or not "drf_spectacular" is in INSTALLED_APPS (the schema
    does not need it there): the project's templates first, so that a project can still override them."""

    def resolve_template(self, template_names):
        try:
            return super().resolve_template(template_names)
        except TemplateDoesNotExist:
            return _spectacular_template(tuple(template_names))


def _spectacular_template(template_names: tuple[str, ...]):
    for name in template_names:
        try:
            return _spectacular_engine().get_template(name)
        except TemplateDoesNotExist:
            continue
    raise TemplateDoesNotExist(", ".join(template_names))


@cache
def _spectacular_engine() -> DjangoTemplates:
    templates = Path(drf_spectacular.__file__).parent / "templates"
    return DjangoTemplates({"NAME": "drf_spectacular", "DIRS": [templates], "APP_DIRS": False, "OPTIONS": {}})


class SchemaPage:
    """What the Swagger UI and Redoc views share: drf-spectacular's templates wherever they are, the package's
    title, and the schema view of the same URL namespace (an `include(..., namespace=...)` too)."""

    renderer_classes = [SpectacularTemplates]
    schema = AutoSchema()
    url_name = SCHEMA_URL_NAME

    @extend_schema(schema_class=AutoSchema, exclude=True)
    def get(self, request, *args, **kwargs):
        self.title = spectacular_setting("TITLE")
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        self.url_name = f"{namespace}:{SCHEMA_URL_NAME}" if namespace else SCHEMA_URL_NAME
        return super().get(request, *args, **kwargs)


class StripeSwaggerView(SchemaPage, SpectacularSwaggerView):
    """`GET schema/swagger/`: Swagger UI over the schema, its scripts from SWAGGER_UI_DIST (a CDN by default; the
    project's own static files with the sidecar installed)."""

    # drf-spectacular's own, reading the settings through spectacular_setting.
    def _swagger_ui_resource(self, filename: str) -> str:
        return _dist("SWAGGER_UI_DIST", filename, sidecar_folder="swagger-ui-dist")

    def _swagger_ui_favicon(self) -> str:
        href = spectacular_setting("SWAGGER_UI_FAVICON_HREF")
        return _sidecar_url("swagger-ui-dist/favicon-32x32.png") if href == "SIDECAR" else href


class StripeRedocView(SchemaPage, SpectacularRedocView):
    """`GET schema/redoc/`: Redoc over the schema, its script from REDOC_DIST (as for Swagger UI)."""

    def _redoc_standalone(self) -> str:
        return _dist("REDOC_DIST", "bundles/redoc.standalone.js", sidecar_folder="redoc")


def _dist(setting: str, file: str, sidecar_folder: str) -> str:
    """Where a page loads a file of its script's distribution from, as drf-spectacular builds it."""
    dist = spectacular_setting(setting)
    return _sidecar_url(f"{sidecar_folder}/{file}") if dist == "SIDECAR" else f"{dist}/{file}"


def _sidecar_url(path: str) -> str:
    return static(f"drf_spectacular_sidecar/{path}")
