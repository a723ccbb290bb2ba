"""The suite on the supported Djangos that `make test` does not run, each in a venv of its own: `make test-matrix`.

    nox                                   the Djangos other than the one of the project's venv (`make test`'s)
    nox -s "tests(django-6.1)"            one Django, whichever
    nox -- tests/api -x                   pytest arguments after `--`

`make test` runs the newest Django (the project's venv takes it); together they run every supported one. Each
session installs the package with its `test` extra and pins one Django, on the Python named beside it in
MATRIX: 5.2 LTS on the oldest Python the package supports, 6.0 and 6.1 (which need Python 3.12 or newer) on newer
ones. The suite runs on every core, on SQLite with eager Celery: DATABASE_URL and REDIS_URL are removed from the
session's environment, so the tests marked `postgres` or `broker` (tests/reliability, the real-worker tests)
skip. They test PostgreSQL, Redis and Celery rather than Django, they take the longest, and `make test` runs
them all on the newest Django: a session takes about two minutes on 2 cores, its venv included.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import django
import nox

# Django -> the Python its session runs on.
MATRIX = {"5.2": "3.11", "6.0": "3.12", "6.1": "3.13"}

# The Django the project's venv has (nox runs from it) is `make test`'s: the default sessions are the others.
MAKE_TEST_DJANGO = ".".join(django.__version__.split(".")[:2])
nox.options.sessions = [f"tests(django-{version})" for version in MATRIX if version != MAKE_TEST_DJANGO]
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = True


def interpreter(version: str) -> str:
    """The path of a working `python<version>`: on the PATH, else one that pyenv installed (pyenv's shims answer
    only for the versions selected in its settings, and nox does not look into pyenv's folder)."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    installed = sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", f"python{version}")))
    for candidate in [shutil.which(f"python{version}"), *reversed(installed)]:
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return version  # not found: nox reports the missing interpreter


@nox.session(name="tests")
@nox.parametrize(
    ("python", "django"),
    [nox.param(interpreter(python), django, id=f"django-{django}") for django, python in MATRIX.items()],
)
def tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[test]", f"Django=={django}.*")
    session.run("python", "-m", "django", "--version")
    session.run(
        "python",
        "-m",
        "pytest",
        "-n",
        "auto",
        "--dist",
        "loadgroup",
        *session.posargs,
        env={"DATABASE_URL": None, "REDIS_URL": None},
    )
