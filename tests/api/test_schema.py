"""Schemathesis drives every operation of the OpenAPI schema over real HTTP (a live server) as an
authenticated user: no 500, and every documented response matches the schema."""

import os

import pytest
import schemathesis
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from django_stripe import payments
from django_stripe.client import get_client
from tests.api.pages import PAGINATIONS
from tests.billables import billable_of, create_user

USERNAME, PASSWORD = "fuzzer", "fuzz-password"
# The example project authenticates with sessions only: the fuzzer sends a logged-in session's cookie, and the
# CSRF token REST framework asks of a session's writes.
AUTH: dict[str, str] = {}


def session_headers() -> dict[str, str]:
    client = Client()
    assert client.login(username=USERNAME, password=PASSWORD)
    token = get_random_string(32)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}", "X-CSRFToken": token}


@pytest.fixture
def api_schema(transactional_db, live_server, synced_fake, catalogue, django_user_model, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"django_stripe": None}}
    user = create_user(USERNAME, "fuzzer@example.com", PASSWORD)
    setup_intent = payments.create_setup_intent(billable_of(user))
    card = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": "pm_card_visa"})
    payments.create_subscription(billable_of(user), catalogue["monthly"], default_payment_method=card.payment_method)
    AUTH.clear()
    AUTH.update(session_headers())
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")


# The same examples on every run (derandomize): CI judges the change, not the draw. FUZZ_EXAMPLES=150 fuzzes
# deeper, with another draw for each --hypothesis-seed.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10")),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_no_server_error_and_responses_match_the_schema(case):
    case.call_and_validate(
        headers=AUTH, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )


@pytest.fixture(params=list(PAGINATIONS))
def paged_api_schema(request, settings, api_schema, live_server):
    """The schema and the API with the project's DEFAULT_PAGINATION_CLASS set: the lists answer pages."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PAGINATIONS[request.param]}
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")


paged_schema = schemathesis.pytest.from_fixture("paged_api_schema")


@paged_schema.include(method="GET", path_regex=r"^/api/[a-z-]+/$").exclude(path="/api/schema/").parametrize()
@FUZZ
def test_paged_lists_match_the_paged_schema(case):
    response = case.call_and_validate(
        headers=AUTH, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
    assert response.status_code in (200, 400, 404), response.text  # 404: a page or cursor that is not there


LIST_PATHS = ["/api/products/", "/api/prices/", "/api/subscriptions/", "/api/invoices/", "/api/payment-methods/"]


@pytest.mark.parametrize(
    ("pagination", "parameter"), [("page-number", "page"), ("limit-offset", "limit"), ("cursor", "cursor")]
)
def test_the_schema_shows_the_paged_envelope_and_its_parameters(make_client, settings, pagination, parameter):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": PAGINATIONS[pagination]}
    schema = make_client().get("/api/schema/?format=json").json()
    for path in LIST_PATHS:
        operation = schema["paths"][path]["get"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        name = answer["$ref"].rsplit("/", 1)[-1]
        envelope = schema["components"]["schemas"][name]
        assert name.startswith("Paginated") and envelope["properties"]["results"]["type"] == "array", envelope
        assert parameter in {p["name"] for p in operation["parameters"]}, operation["parameters"]


def test_without_pagination_the_schema_shows_bare_arrays(make_client):
    schema = make_client().get("/api/schema/?format=json").json()
    for path in LIST_PATHS:
        answer = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer["type"] == "array", answer
        assert not {"page", "limit", "cursor"} & {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}


BARE_SETTINGS = """
from example_project.settings import *  # noqa: F403

# A project that never configured drf-spectacular: DRF's own DEFAULT_SCHEMA_CLASS, the app not installed (its
# templates not found by the project's template loaders), nor the sidecar.
REST_FRAMEWORK = {key: value for key, value in REST_FRAMEWORK.items() if key != "DEFAULT_SCHEMA_CLASS"}
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ("drf_spectacular", "drf_spectacular_sidecar")]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "bare_urls"
"""

BARE_URLS = """
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):  # a view of the project's own, on DRF's AutoSchema
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/", include("django_stripe.urls")), path("ping/", Ping.as_view())]
"""

GET_SCHEMA = """
import json
import django

django.setup()
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
response = Client().get("/api/schema/?format=json")
pages = {}
for page in ("swagger", "redoc"):
    answer = Client().get(f"/api/schema/{page}/")
    pages[page] = [answer.status_code, "<title>django-stripe</title>" in answer.content.decode()]
paths = sorted(json.loads(response.content)["paths"])
print(json.dumps({"status": response.status_code, "paths": paths, "pages": pages}))
"""


def test_the_schema_works_without_drf_spectacular_settings(tmp_path):
    """In a fresh process, so that the views are imported under DRF's own DEFAULT_SCHEMA_CLASS (the annotations
    are built when the views module is imported): the schema was a 500 there. Its Swagger UI and Redoc pages
    find drf-spectacular's templates though the app is not installed."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "bare_settings.py").write_text(BARE_SETTINGS)
    (tmp_path / "bare_urls.py").write_text(BARE_URLS)
    env = {
        **{name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "bare_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root), str(root / "example_project")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", GET_SCHEMA], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert {"/api/subscriptions/", "/api/subscriptions/{obj_id}/", "/api/schema/", "/ping/"} <= set(answer["paths"])
    assert answer["pages"] == {"swagger": [200, True], "redoc": [200, True]}
