"""The README and the docs site hold to the code: every setting of conf.DEFAULTS on the settings page with its
default, every public name of `django_stripe.payments` in the generated reference with a docstring, every test the
pages cite there to run, the README short, and the site built with --strict (as `make docs` and CI build it)."""

from __future__ import annotations

import ast
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from django_stripe import payments
from django_stripe.conf import DEFAULTS
from tests.markdown import DOCS, README, ROOT

SETTINGS_PAGE = DOCS / "settings.md"
# A row of the settings table: | `NAME` *env* | default | meaning |
SETTING_ROW = re.compile(r"^\| `(?P<name>[A-Z_]+)`(?: \*env\*)? \| (?P<default>.*?) \| .* \|$", re.MULTILINE)
# A test named by its path and, optionally, its function: tests/security/test_x.py::test_y
CITED_TEST = re.compile(r"`?(?P<path>tests/[\w/]+\.py)(?:::(?P<function>test_\w+))?")


def documented_settings() -> dict[str, str]:
    return {row["name"]: row["default"] for row in SETTING_ROW.finditer(SETTINGS_PAGE.read_text())}


def all_pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def test_the_readme_is_at_most_300_lines():
    assert len(README.read_text().splitlines()) <= 300


def test_every_setting_is_on_the_settings_page_and_nothing_else():
    assert sorted(documented_settings()) == sorted(DEFAULTS)


# The defaults the page describes in words instead of writing conf's value: the SDK's API version, the app data
# abbreviated.
DESCRIBED_DEFAULTS = {"STRIPE_API_VERSION", "STRIPE_APP_DATA"}


@pytest.mark.parametrize("name", sorted(set(DEFAULTS) - DESCRIBED_DEFAULTS))
def test_the_settings_page_gives_each_default_as_conf_has_it(name):
    assert ast.literal_eval(documented_settings()[name].strip("`")) == DEFAULTS[name]


def test_every_setting_the_pages_name_exists():
    """A STRIPE_ name in the prose is a setting (or an environment variable of one), not a stale or mistyped one."""
    not_settings = {"STRIPE_FIXTURES_LICENSE"}  # a file's name
    named = set()
    for page in all_pages():
        named |= set(re.findall(r"\bSTRIPE_[A-Z_]+[A-Z]\b", page.read_text()))
    assert sorted(named - set(DEFAULTS) - not_settings) == []


def test_every_public_name_of_payments_has_a_docstring():
    undocumented = [name for name in payments.__all__ if not (getattr(payments, name).__doc__ or "").strip()]
    assert undocumented == []


def cited_tests() -> set[tuple[str, str | None]]:
    cited = set()
    for page in all_pages():
        cited |= {(match["path"], match["function"]) for match in CITED_TEST.finditer(page.read_text())}
    return cited


def test_the_pages_cite_tests():
    assert len(cited_tests()) > 20  # the security page cites its tests: the pattern still finds them


@pytest.mark.parametrize(("path", "function"), sorted(cited_tests(), key=str))
def test_every_test_the_pages_cite_exists(path, function):
    source = ROOT / path
    assert source.is_file(), path
    if function is not None:
        assert re.search(rf"^(?:async )?def {function}\(", source.read_text(), re.MULTILINE), f"{path}::{function}"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """The site as `make docs` builds it (--strict: any warning fails), into a directory of this run's own."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_the_docs_build_strictly_with_the_install_section_of_the_readme(built_site):
    text = html.unescape(re.sub(r"<[^>]+>", "", (built_site / "install" / "index.html").read_text()))
    assert "celery -A myshop worker" in text and "python manage.py stripe_fake_seed catalogue.json" in text
    assert "--8<--" not in text  # every snippet was included, none left as text


def test_the_payments_reference_shows_every_public_name(built_site):
    page = (built_site / "reference" / "payments" / "index.html").read_text()
    anchors = set(re.findall(r'id="django_stripe\.payments\.(\w+)"', page))
    assert sorted(set(payments.__all__) - anchors) == []


def test_the_site_loads_nothing_from_the_internet(built_site):
    """No web font and no plugin that fetches: the site is built and read offline (its links may point out)."""
    for page in built_site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, page
