"""README "Install into your project", run as a new user runs it: every block of the section, in order, in a
fresh `django-admin startproject` project, with the fake Stripe, `runserver`, a real Celery worker on Redis and
celery beat; then docs/testing.md's "Testing your own project" in the same project (its markers say `testing:`
instead of `install:`), whose tests pytest runs. So the sections cannot drift from the code. (docs/install.md
includes the README's section; the user model it adds for a project that has one is checked here too.)

Each block of the section carries a marker the test reads (an HTML comment, invisible on GitHub):

    <!-- install: shell -->                    the lines run in bash (a `cd` carries over to the next blocks)
    <!-- install: file PATH -->                the block is the whole file PATH
    <!-- install: append PATH -->              the block is added at the end of PATH
    <!-- install: background NAME -->          a command that keeps running (a server, a worker), started here
    <!-- install: python manage.py shell -->   the block is typed into `python manage.py shell`
    <!-- install: user model -->               a user model: defined here, and held to django-stripe's check

The package is installed as a user installs it: the test builds its wheel from this source tree, makes a fresh venv
(`python -m venv`, nothing of the suite's venv in it) and runs the README's `pip install django-stripe` there with
the wheel in place of the name, so that pip resolves the dependencies as it does for a user (a dependency that only
the suite's venv brought, such as `packaging` for kombu's Redis transport, is missing there too). Every command,
`python`, `celery` and `django-admin` included, is the fresh venv's.

What else the test changes, and why: the ports (12111, 8000) become free ones and the Redis URL the suite's
REDIS_URL, so that runs beside each other do not meet; and two lines are added after the settings: the project's
tasks go to a queue of this run's own (CELERY_TASK_DEFAULT_QUEUE), so that no other worker on the same Redis takes
them, and the sweeper is due every second instead of every minute, so that beat sends it while the test watches.
"""

from __future__ import annotations

import glob
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from django.test.utils import isolate_apps

from django_stripe.checks import user_model_messages
from tests.ports import free_ports

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TESTING_PAGE = ROOT / "docs" / "testing.md"
INSTALL_PAGE = ROOT / "docs" / "install.md"
# What a wheel is built from: the files pyproject.toml names (the package, its readme and licence).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "django_stripe", "fake_stripe")
SECTION = "## Install into your project"
TESTING_SECTION = "## Testing your own project"
BLOCK = (
    r"^[ \t]*<!-- {marker}: (?P<what>[^>]+?) -->[ \t]*\n"  # the marker
    r"(?P<indent>[ \t]*)```[\w-]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$"  # the block right after it
)


@dataclass
class Block:
    what: str
    body: str


def install_section(title: str = SECTION, source: Path = README) -> str:
    text = source.read_text()
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start : end if end != -1 else None]


def install_blocks(title: str = SECTION, marker: str = "install", source: Path = README) -> list[Block]:
    """The section's code blocks in order, each with what its marker says to do with it."""
    section = install_section(title, source)
    blocks = []
    for match in re.finditer(BLOCK.format(marker=marker), section, re.MULTILINE | re.DOTALL):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        blocks.append(Block(match["what"].strip(), body))
    fences = re.findall(r"^[ \t]*```", section, re.MULTILINE)
    # Every block of the section is run: none may lack its marker.
    assert len(fences) == 2 * len(blocks), f"{len(fences) // 2} code blocks, {len(blocks)} with a {marker} marker"
    return blocks


def blocks_of_the_testing_section() -> list[Block]:
    return install_blocks(TESTING_SECTION, "testing", TESTING_PAGE)


def test_every_block_of_the_install_section_has_a_marker_the_test_knows():
    known = re.compile(r"shell|(file|append) \S+|background \w+|python manage\.py shell|user model")
    blocks = install_blocks()
    assert [b.what for b in blocks if not known.fullmatch(b.what)] == []
    shell = "\n".join(b.body for b in blocks if b.what == "shell")
    assert re.search(r"^pip install django-stripe\b", shell, re.MULTILINE)  # what the test installs the wheel by
    commands = "\n".join(b.body for b in blocks if b.what.startswith("background"))
    assert "celery -A myshop worker --loglevel INFO --without-gossip --without-mingle --without-heartbeat" in commands
    assert "celery -A myshop beat --loglevel INFO" in commands
    settings = "\n".join(b.body for b in blocks if b.what == "append myshop/settings.py")
    assert "CELERY_CONTROL_QUEUE_DURABLE = True" in settings
    assert "DEFAULT_SCHEMA_CLASS" not in settings  # the schema works with the app's own defaults


def test_every_block_of_the_testing_section_has_a_marker_the_test_knows():
    blocks = blocks_of_the_testing_section()
    assert [b.what for b in blocks if not re.fullmatch(r"shell|file \S+", b.what)] == []
    assert any(b.body.startswith('pip install "django-stripe[testing]"') for b in blocks)
    assert [b.body.strip() for b in blocks if b.what == "file conftest.py"] == [
        'pytest_plugins = ["django_stripe.testing.pytest_plugin"]'
    ]


def test_the_existing_user_model_of_the_install_page_passes_the_check():
    [block] = [
        b for b in install_blocks("## A user model you already have", source=INSTALL_PAGE) if b.what == "user model"
    ]
    with isolate_apps("django_stripe"):
        namespace = {"__name__": "django_stripe.readme_user_model"}
        exec(compile(block.body, str(INSTALL_PAGE), "exec"), namespace)  # noqa: S102 - the page's own code
        user_model = namespace["User"]
        assert user_model_messages(user_model) == []
        user = user_model(username="bob")
        user.stripe_customer_id = "cus_123"
        assert user.customer_id == "cus_123"


class Background:
    """A command of the README that keeps running, in its own process group, its output in a file."""

    def __init__(self, name: str, command: str, cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.name, self.log = name, logs / f"{name}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class FreshVenv(NamedTuple):
    """A venv made by the test, with nothing installed but pip, and the wheel of this source tree."""

    bin: Path
    wheel: Path

    @property
    def python(self) -> str:
        return str(self.bin / "python")


def build_wheel(into: Path) -> Path:
    """The package's wheel, built from a copy of its sources (a build in place would write build/ and
    *.egg-info into the work tree, under the feet of the other workers)."""
    source = into / "source"
    source.mkdir(parents=True)
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(into), str(source)])
    [wheel] = glob.glob(str(into / "django_stripe-*.whl"))
    return Path(wheel)


def make_venv(where: Path) -> Path:
    """`python -m venv` with the Python the suite runs on (the base interpreter: a venv made from a venv's
    Python is a venv of the base one, with none of the first one's packages)."""
    run([sys.executable, "-m", "venv", str(where)])
    return where / "bin"


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}{result.stderr}"


class NewProject:
    """Runs the README's blocks from `root`, the directory the user starts in, with the fresh venv's commands."""

    def __init__(self, root: Path, redis_url: str, venv: FreshVenv) -> None:
        self.cwd = root
        self.venv = venv
        self.logs = root / "logs"
        self.logs.mkdir()
        self.fake_port, self.web_port = free_ports(2)
        self.redis_url = redis_url
        self.queue = f"django-stripe-readme-{uuid.uuid4().hex[:10]}"
        self.background: dict[str, Background] = {}
        self.outputs: list[str] = []
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("STRIPE_", "DJANGO_", "CELERY_", "PYTEST_"))
            and name not in ("PYTHONPATH", "DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV")
        }
        # As after `. venv/bin/activate`: its python, pip, django-admin and celery come first.
        self.env.update(
            PATH=os.pathsep.join([str(venv.bin), self.env.get("PATH", "")]),
            VIRTUAL_ENV=str(venv.bin.parent),
            PYTHONUNBUFFERED="1",
        )

    def localize(self, text: str) -> str:
        """The README's ports and broker, made this run's own."""
        text = re.sub(r"\b12111\b", str(self.fake_port), text)
        text = re.sub(r"\b8000\b", str(self.web_port), text)
        return text.replace("redis://127.0.0.1:6379/0", self.redis_url)

    def run(self, block: Block) -> str:
        body = self.localize(block.body)
        kind, _, argument = block.what.partition(" ")
        if block.what == "shell":
            return self.shell(self.with_the_wheel(body))
        if kind == "file":
            (self.cwd / argument).write_text(body)
        elif kind == "append":
            with (self.cwd / argument).open("a") as file:
                file.write("\n" + body)
                if argument.endswith("settings.py"):
                    file.write(self.settings_of_this_run())
        elif kind == "background":
            self.start(argument, body)
        elif block.what == "python manage.py shell":
            return self.python_shell(body)
        elif block.what != "user model":  # defined and checked by the test above
            raise AssertionError(f"unknown install marker: {block.what}")
        return ""

    def with_the_wheel(self, script: str) -> str:
        """`pip install django-stripe[...]` installs the wheel under test, with the same extras."""
        return re.sub(
            r'^(pip install )("?)django-stripe\b', rf"\g<1>\g<2>{self.venv.wheel}", script, flags=re.MULTILINE
        )

    def settings_of_this_run(self) -> str:
        """The lines the test adds after the README's settings: see the module's docstring."""
        return (
            "\n# Added by the test: see its docstring.\n"
            f"CELERY_TASK_DEFAULT_QUEUE = {self.queue!r}\n"
            'CELERY_BEAT_SCHEDULE["stripe-webhook-sweeper"]["schedule"] = 1.0\n'
        )

    def shell(self, script: str) -> str:
        where = self.logs / "cwd"
        script = "\n".join([script, f'pwd > "{where}"'])
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], cwd=self.cwd, env=self.env, capture_output=True,
            text=True, timeout=600,  # pip install: a cold cache downloads every dependency
        )  # fmt: skip
        output = result.stdout + result.stderr
        self.outputs.append(f"$ {script}\n{output}")
        assert result.returncode == 0, f"{script}\n{output}"
        self.cwd = Path(where.read_text().strip())
        return output

    def python_shell(self, code: str) -> str:
        result = subprocess.run(
            [self.venv.python, "manage.py", "shell"], input=code, cwd=self.cwd, env=self.env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        output = result.stdout + result.stderr
        self.outputs.append(f">>> {code}\n{output}")
        assert result.returncode == 0 and "Traceback" not in output, f"{code}\n{output}\n{self.diagnostics()}"
        return output

    def start(self, name: str, command: str) -> None:
        self.background[name] = Background(name, command, self.cwd, self.env, self.logs)
        port = {"fake": self.fake_port, "web": self.web_port}.get(name)
        if port is not None:
            ready = lambda: listening(port)  # noqa: E731
        else:  # a worker, beat: what each logs once it is up
            started = {"worker": " ready.", "beat": "beat: Starting..."}[name]
            ready = lambda: started in self.background[name].output()  # noqa: E731
        wait_for(
            lambda: ready() or self.background[name].process.poll() is not None,
            60,
            lambda: f"{name} started\n{self.diagnostics()}",
        )
        assert self.background[name].process.poll() is None, f"{name} exited\n{self.diagnostics()}"

    def stop(self) -> None:
        for process in reversed(self.background.values()):
            process.stop()

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name}\n{process.output()[-4000:]}" for name, process in self.background.items())

    def event_statuses(self) -> dict[str, list[str]]:
        database = self.cwd / "db.sqlite3"
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20)
        try:
            rows = connection.execute("SELECT type, status FROM django_stripe_webhook_event").fetchall()
        finally:
            connection.close()
        statuses: dict[str, list[str]] = {}
        for event_type, status in rows:
            statuses.setdefault(status, []).append(event_type)
        return statuses

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, timeout: float, message) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message()}")
        time.sleep(0.25)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies, CSRF and no automatic redirects: a user at the project's pages."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def request(self, url: str, data: dict[str, str] | None = None, referer: str | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": referer or url})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == name)


@pytest.fixture
def fresh_venv(tmp_path_factory) -> FreshVenv:
    where = tmp_path_factory.mktemp("fresh-venv")
    return FreshVenv(bin=make_venv(where / "venv"), wheel=build_wheel(where / "dist"))


@pytest.fixture
def new_project(tmp_path, fresh_venv):
    project = NewProject(tmp_path, os.environ["REDIS_URL"], fresh_venv)
    yield project
    project.stop()
    import redis

    redis.Redis.from_url(project.redis_url).delete(project.queue)


@pytest.mark.broker
def test_from_pip_install_to_a_first_subscription_with_the_readme_alone(new_project):
    blocks = install_blocks()
    outputs = {}
    for number, block in enumerate(blocks):
        outputs[number] = new_project.run(block)
        if block.body.startswith("python manage.py check"):
            assert "System check identified no issues" in outputs[number], outputs[number]
        if "stripe_fake_seed" in block.body:
            assert "product         prod_pro  Pro  (created)" in outputs[number], outputs[number]
        if "create_subscription(" in block.body:
            assert "active True" in outputs[number], outputs[number]
            # Next, the README shows the events applied "a moment later": wait for the worker as the user would.
            wait_for(
                lambda: applied(new_project.event_statuses()),
                90,
                lambda: f"{new_project.event_statuses()}\n{new_project.diagnostics()}",
            )
    events = outputs[len(blocks) - 1]
    assert "customer.subscription.created processed" in events and "pending" not in events, events

    # The events reached the endpoint over HTTP, signed, and the worker (not the request) applied them.
    statuses = new_project.event_statuses()
    assert set(statuses) <= {"processed", "ignored"}, statuses
    assert {"product.created", "price.created", "customer.subscription.created"} <= set(statuses["processed"])
    worker = new_project.background["worker"].output()
    assert "Traceback" not in worker and "ERROR" not in worker, worker

    # Beat sends the sweeper on its schedule and the worker runs it; beat keeps its schedule in the project.
    wait_for(
        lambda: "Task django_stripe.sweep_webhook_events[" in new_project.background["worker"].output(),
        60,
        new_project.diagnostics,
    )
    beat = new_project.background["beat"]
    assert beat.process.poll() is None and "Sending due task stripe-webhook-sweeper" in beat.output(), beat.output()
    assert glob.glob(str(new_project.cwd / "celerybeat-schedule*")), sorted(os.listdir(new_project.cwd))

    # A fresh process reads the subscription from the mirror.
    assert (
        new_project.python_shell(
            "from django.contrib.auth import get_user_model\n"
            "from django_stripe.models import Subscription\n"
            "from django_stripe.payments import is_subscribed\n"
            "alice = get_user_model().objects.get(username='alice')\n"
            "print('subscribed', is_subscribed(alice), Subscription.objects.get().status)\n"
        )
        .strip()
        .endswith("subscribed True active")
    )

    # The pages and the REST API: log in where LOGIN_URL says, then the pages, the API and its schema.
    browser = Browser()
    status, headers, _ = browser.request(new_project.url("/"))
    assert (status, headers["Location"]) == (302, "/api-auth/login/?next=/")
    status, _, _ = browser.request(new_project.url("/api-auth/login/?next=/"))
    assert status == 200
    login = {"username": "alice", "password": "a-long-password", "next": "/"}
    status, headers, _ = browser.request(
        new_project.url("/api-auth/login/"), {**login, "csrfmiddlewaretoken": browser.cookie("csrftoken")}
    )
    assert (status, headers["Location"]) == (302, "/")
    assert browser.request(new_project.url("/"))[0] == 200
    status, _, page = browser.request(new_project.url("/subscriptions/"))
    assert status == 200 and "Pro" in page
    status, _, body = browser.request(new_project.url("/api/subscriptions/"))
    assert status == 200 and [s["status"] for s in json.loads(body)] == ["active"], body
    status, _, schema = browser.request(new_project.url("/api/schema/?format=json"))
    assert status == 200 and "/api/subscriptions/" in json.loads(schema)["paths"], schema[:2000]
    assert json.loads(schema)["info"]["title"] == "django-stripe", schema[:2000]
    for page in ("swagger", "redoc"):  # drf-spectacular's templates, though the settings do not install its app
        status, _, html = browser.request(new_project.url(f"/api/schema/{page}/"))
        assert status == 200 and "<title>django-stripe</title>" in html, html[:2000]

    # Without the Celery lines, `check` says that no worker would see the events, and how to fix it.
    init = new_project.cwd / "myshop" / "__init__.py"
    kept = init.read_text()
    init.write_text("")
    try:
        check = new_project.shell("python manage.py check")
    finally:
        init.write_text(kept)
    assert "django_stripe.W003" in check and 'app.config_from_object("django.conf:settings"' in check, check
    assert "myshop/celery.py" in check and "celery -A myshop worker" in check, check

    # docs/testing.md "Testing your own project", in the same project: the testing extra, pytest's files, its tests.
    for block in blocks_of_the_testing_section():
        output = new_project.run(block)
    assert re.search(r"^=+ 3 passed\b", output, re.MULTILINE) and "failed" not in output, output


def applied(statuses: dict[str, list[str]]) -> bool:
    """Every stored event applied (or ignored), the subscription's among them."""
    unfinished = set(statuses) - {"processed", "ignored"}
    return not unfinished and "customer.subscription.created" in statuses.get("processed", [])


def test_the_install_section_names_no_example_project_command():
    section = install_section()
    assert "example_project" not in section
    assert section.count("celery -A myshop") >= 2
