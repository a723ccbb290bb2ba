# django-stripe: `make demo` runs the example project end to end (offline), `make test` runs the whole suite (on
# every core) and then its payments, REST and security tests again on the team model, `make test-matrix` runs it on the other supported Djangos (noxfile.py).
VENV ?= .venv
# The venv's Python, when the venv is made: the newest one found, so that `make test` gets the newest Django
# (Django 6 needs Python 3.12 or newer). pyenv's installed versions count too: its shims answer only for the
# versions selected in its settings. `make PYTHON=python3.11 venv` to choose.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON ?= $(firstword $(foreach v,3.14 3.13 3.12,$(shell python$(v) -c 'print("python$(v)")' 2>/dev/null) \
	$(lastword $(wildcard $(PYENV_ROOT)/versions/$(v).*/bin/python$(v)))) python3)
PY := $(VENV)/bin/python
MANAGE := $(PY) example_project/manage.py

.PHONY: venv test test-teams test-matrix lint format docs docs-serve demo migrate bench clean

# The venv is (re)installed when it is missing or pyproject.toml changed.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed

# One pytest worker per core (PYTEST_WORKERS=0 for one process); tests that run real Celery workers keep to one.
PYTEST_WORKERS ?= auto

# The tests that run again with teams as what pays (DJANGO_STRIPE_BILLABLE=team: the example project's Team model).
TEAM_TESTS ?= tests/payments tests/api tests/security

test: venv
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)
	$(MAKE) test-teams

# The team pass alone.
test-teams: venv
	DJANGO_STRIPE_BILLABLE=team $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(TEAM_TESTS) $(PYTEST_ARGS)

# The suite on SQLite once per supported Django that `make test` does not run (it runs the newest), each in its
# own venv under .nox/; NOX_ARGS passes options, e.g. NOX_ARGS='-s "tests(django-6.1)" -- tests/api'.
test-matrix: venv
	$(VENV)/bin/nox $(NOX_ARGS)

# ruff, and the import contracts of .importlinter (the layers of docs/ARCHITECTURE.md).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The docs site (mkdocs.yml) into site/; --strict: any warning (a broken link or anchor, a page left out of the
# nav) fails, as in CI. NO_MKDOCS_2_WARNING: mkdocs-material's notice about MkDocs 2, not about these docs.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The docs on http://127.0.0.1:8001 (8000 is the demo's), rebuilt on every change.
docs-serve: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8001

migrate: venv
	$(MANAGE) migrate --noinput

# The example project with the fake Stripe (offline), a demo user and the checkout; Ctrl-C stops it all.
# With STRIPE_SECRET_KEY (and friends) in the environment it uses real Stripe instead.
demo: venv
	$(PY) example_project/demo.py

# Every benchmark against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default 127.0.0.1), about ten
# minutes on 2 cores; writes benchmarks/results/<date>.json and .md with plots.
bench: venv
	$(PY) -m pip install --quiet -e ".[test,bench]"
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .nox example_project/db.sqlite3 .pytest_cache site
