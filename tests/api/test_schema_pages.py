"""The schema over HTTP: titled and versioned by the package unless the project says otherwise, shown (not
downloaded) by a browser, and Swagger UI and Redoc over it at schema/swagger/ and schema/redoc/, their scripts from
the project's static files with the sidecar app, from drf-spectacular's CDN without it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import include, path

import django_stripe

ROOT = Path(__file__).resolve().parents[2]

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SIDECAR_SCRIPTS = [
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
]


@pytest.fixture
def anonymous(client):
    """The schema and its pages are drf-spectacular's SERVE_PERMISSIONS' (anyone, by default)."""
    return client


def info(response) -> dict:
    return yaml.safe_load(response.content)["info"]


def test_the_schema_is_titled_and_versioned_by_the_package(anonymous):
    response = anonymous.get("/api/schema/")
    assert info(response) == {"title": "django-stripe", "version": django_stripe.__version__}
    assert response["Content-Disposition"] == 'inline; filename="django-stripe.yaml"'


def test_the_version_is_the_installed_distributions():
    from importlib.metadata import version

    assert version("django-stripe") == django_stripe.__version__


PROJECT_SETTINGS = """
from example_project.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
SPECTACULAR_SETTINGS = %r
"""

GET_INFO = """
import json
import re

import django
import yaml

django.setup()
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
client = Client()
schema = yaml.safe_load(client.get("/api/schema/").content)
pages = [client.get(f"/api/schema/{page}/").content.decode() for page in ("swagger", "redoc")]
titles = [re.search("<title>(.*)</title>", page)[1] for page in pages]
print(json.dumps({"info": schema["info"], "titles": titles}))
"""


@pytest.mark.parametrize(
    ("own", "title", "version"),
    [
        ({"TITLE": "My shop"}, "My shop", django_stripe.__version__),
        ({"TITLE": "My shop", "VERSION": "2.1"}, "My shop", "2.1"),
        ({"VERSION": "2.1", "DESCRIPTION": "Billing"}, "django-stripe", "2.1"),
    ],
)
def test_the_projects_own_title_and_version_win(tmp_path, own, title, version):
    """In a fresh process: drf-spectacular reads SPECTACULAR_SETTINGS once, as a project's process does."""
    (tmp_path / "project_settings.py").write_text(PROJECT_SETTINGS % (own,))
    env = {
        **{name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "project_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT), str(ROOT / "example_project")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", GET_INFO], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["info"]["title"] == title and answer["info"]["version"] == version, answer
    assert answer["titles"] == [title, title]
    if "DESCRIPTION" in own:
        assert answer["info"]["description"] == own["DESCRIPTION"]


@pytest.mark.parametrize(
    ("query", "content_type", "load"),
    [("", "text/plain; charset=utf-8", yaml.safe_load), ("?format=json", "application/json", json.loads)],
)
def test_a_browser_is_answered_a_type_it_shows(anonymous, query, content_type, load):
    response = anonymous.get(f"/api/schema/{query}", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline;")
    assert "/api/subscriptions/" in load(response.content)["paths"]


@pytest.mark.parametrize(
    ("accept", "query", "content_type"),
    [
        ("*/*", "", "application/vnd.oai.openapi; charset=utf-8"),
        ("application/json", "", "application/json"),
        ("application/vnd.oai.openapi+json", "", "application/vnd.oai.openapi+json"),
        ("*/*", "?format=json", "application/vnd.oai.openapi+json"),
        ("application/yaml", "", "application/yaml; charset=utf-8"),
    ],
)
def test_api_clients_get_drf_spectaculars_media_types(anonymous, accept, query, content_type):
    response = anonymous.get(f"/api/schema/{query}", HTTP_ACCEPT=accept)
    assert (response.status_code, response["Content-Type"]) == (200, content_type)


@pytest.mark.parametrize("page", ["swagger", "redoc"])
def test_the_pages_load_their_scripts_from_the_projects_static_files_with_the_sidecar(anonymous, page):
    html = anonymous.get(f"/api/schema/{page}/", HTTP_ACCEPT=BROWSER).content.decode()
    scripts = [script for script in SIDECAR_SCRIPTS if script.startswith(f"drf_spectacular_sidecar/{page}")]
    assert scripts and all(f"/static/{script}" in html for script in scripts), html
    assert "cdn.jsdelivr.net" not in html
    assert all(finders.find(script) for script in SIDECAR_SCRIPTS)


@pytest.mark.parametrize(("page", "cdn"), [("swagger", "swagger-ui-dist@latest"), ("redoc", "redoc@latest")])
def test_without_the_sidecar_the_pages_load_drf_spectaculars_cdn(anonymous, settings, page, cdn):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "drf_spectacular_sidecar"]
    html = anonymous.get(f"/api/schema/{page}/").content.decode()
    assert f"https://cdn.jsdelivr.net/npm/{cdn}/" in html and "/static/" not in html


def schema_url_of(page: str, html: str) -> str:
    """The schema URL a page reads: Swagger UI's is written into its script by `escapejs`."""
    if page == "swagger":
        [escaped] = re.findall(r'url: "([^"]*)"', html)
        return json.loads(f'"{escaped}"')
    [url] = re.findall(r'spec-url="([^"]*)"', html)
    return url


@pytest.mark.parametrize("page", ["swagger", "redoc"])
def test_the_pages_read_the_schema_of_their_own_mount(anonymous, page):
    assert schema_url_of(page, anonymous.get(f"/api/schema/{page}/").content.decode()) == "/api/schema/"


urlpatterns = [path("billing-api/", include(("django_stripe.urls", "billing"), namespace="billing"))]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("page", ["swagger", "redoc"])
def test_a_namespaced_include_finds_its_own_schema(anonymous, page):
    response = anonymous.get(f"/billing-api/schema/{page}/")
    assert response.status_code == 200
    assert schema_url_of(page, response.content.decode()) == "/billing-api/schema/"
    assert "/billing-api/subscriptions/" in anonymous.get("/billing-api/schema/?format=json").json()["paths"]


def test_the_pages_are_not_in_the_schema(anonymous):
    paths = anonymous.get("/api/schema/?format=json").json()["paths"]
    assert not [name for name in paths if "swagger" in name or "redoc" in name]
