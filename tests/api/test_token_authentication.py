"""REST framework's token authentication with the API, set up as the README's "Authentication" says: in a fresh
process (a project whose settings install `rest_framework.authtoken`, its table migrated), the README's
settings block appended to the example project's, the token made by `drf_create_token`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.billables import user_model_only
from tests.markdown import marked_block

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = """
from example_project.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CELERY_TASK_ALWAYS_EAGER = True

# The README's lines:
%s
"""

SCRIPT = """
import io
import json

import django

django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
call_command("migrate", verbosity=0)
get_user_model().objects.create_user("alice", "alice@example.com", "a-long-password")
printed = io.StringIO()
call_command("drf_create_token", "alice", stdout=printed)
token = printed.getvalue().split()[2]
client = Client(enforce_csrf_checks=True)
with_token = {"HTTP_AUTHORIZATION": f"Token {token}"}
listed = client.get("/api/subscriptions/", **with_token)
print(json.dumps({
    "printed": printed.getvalue(),
    "list": [listed.status_code, listed.json()],
    "anonymous": client.get("/api/subscriptions/").status_code,
    "wrong token": client.get("/api/subscriptions/", HTTP_AUTHORIZATION="Token nope").status_code,
    # A write with the token and no CSRF token: refused for what it says (no price), not for CSRF.
    "write": client.post("/api/subscriptions/", {}, content_type="application/json", **with_token).json(),
}))
"""


def readme_token_settings() -> str:
    return marked_block("rest-api.md", "readme: token settings")


@user_model_only(reason="the README's setup makes a user of its own, who pays for themselves")
def test_token_authentication_as_the_readme_sets_it_up(tmp_path):
    (tmp_path / "token_settings.py").write_text(SETTINGS % readme_token_settings())
    env = {
        **{name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "token_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT), str(ROOT / "example_project")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert re.fullmatch(r"Generated token [0-9a-f]{40} for user alice\n", answer["printed"]), answer
    assert answer["list"] == [200, []], answer
    # SessionAuthentication first, as the README lists them: REST framework answers 403, not 401.
    assert answer["anonymous"] == 403 and answer["wrong token"] == 403, answer
    assert "price_id" in answer["write"], answer
