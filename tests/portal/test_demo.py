"""`example_project/demo.py` (`make demo`) as a user runs it: a real process on other ports than the default,
whose hosted pages send the user back to that server, and that a double Ctrl-C still stops completely; and
`demo.py --team`, where the team Acme pays and its reader only reads."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from django_stripe.portal.acting import READ_ONLY
from django_stripe.testing.demo import DEMO_PRODUCT_ID
from tests.ports import free_ports

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "example_project" / "demo.py"
STARTUP_SECONDS = 180  # migrations and two servers on a busy 2-core machine
# Settings that would switch the demo to real Stripe or another database.
NOT_INHERITED = (
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "DATABASE_URL",
    "REDIS_URL",
    "SITE_URL",
    "DJANGO_SETTINGS_MODULE",
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the demo's children in /proc")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """The tests look at where a page redirects to, instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


def browser() -> urllib.request.OpenerDirector:
    cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), cookies, NoRedirect)


def fetch(opener, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:  # a redirect (not followed) or an error page
        return error.code, dict(error.headers), error.read().decode()


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def is_running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; only its exit status is left)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class RunningDemo:
    """demo.py in its own process group, as a terminal's foreground job. Not in a session of its own: its
    group would then be orphaned, and when one child exits the kernel continues the group's stopped
    processes (SIGHUP, SIGCONT), which a shell's job never sees."""

    def __init__(self, tmp_path: Path, *options: str) -> None:
        self.port, self.fake_port = free_ports(2)
        self.url = f"http://127.0.0.1:{self.port}"
        self.fake_url = f"http://127.0.0.1:{self.fake_port}"
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.log = tmp_path / "demo.log"
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env["TMPDIR"] = str(self.tmp)  # so the test sees the demo's temporary directory come and go
        command = [sys.executable, str(DEMO), "--port", str(self.port), "--fake-port", str(self.fake_port), *options]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0
            )
        self.pids: list[int] = []

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo never printed {text!r}:\n{self.output()}")
            time.sleep(0.2)

    def ctrl_c(self) -> None:
        """What Ctrl-C in a terminal does: SIGINT to every process of the foreground group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def kill_leftovers(self) -> None:
        """Stop the demo the usual way if it still runs, then kill whatever it left."""
        if self.process.poll() is None:
            self.ctrl_c()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        for pid in [self.process.pid, *self.pids]:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def running_demo(tmp_path, *options: str):
    running = RunningDemo(tmp_path, *options)
    try:
        running.wait_for_output("Press Ctrl-C", STARTUP_SECONDS)
        running.pids = children_of(running.process.pid)
        yield running
    finally:
        running.kill_leftovers()
        print(running.output())  # shown when the test fails


@pytest.fixture
def demo(tmp_path):
    with running_demo(tmp_path) as running:
        yield running


def log_in(opener, url: str, username: str = "demo") -> None:
    status, _, html = fetch(opener, f"{url}/api-auth/login/")
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    credentials = {"username": username, "password": username, "csrfmiddlewaretoken": token, "next": "/"}
    status, headers, _ = fetch(opener, f"{url}/api-auth/login/", credentials)
    assert status == 302 and headers["Location"] == "/", f"the demo's {username} could not log in"


def press_the_button(opener, url: str) -> tuple[int, dict, str]:
    """A page before a Stripe-hosted page: its GET shows a form, whose POST (with the CSRF token) goes there."""
    status, _, html = fetch(opener, url)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    return fetch(opener, url, {"csrfmiddlewaretoken": token})


def a_demo_price(fake_url: str) -> str:
    query = urllib.parse.urlencode({"product": DEMO_PRODUCT_ID})
    request = urllib.request.Request(f"{fake_url}/v1/prices?{query}", headers={"Authorization": "Bearer sk_test_demo"})
    with browser().open(request, timeout=30) as response:
        return json.load(response)["data"][0]["id"]


def test_hosted_pages_send_the_user_back_to_the_port_the_demo_runs_on(demo):
    opener = browser()
    log_in(opener, demo.url)

    status, headers, _ = press_the_button(opener, f"{demo.url}/checkout/{a_demo_price(demo.fake_url)}/")
    assert status == 303
    checkout = headers["Location"]
    assert checkout.startswith(f"{demo.fake_url}/c/pay/")
    _, _, page = fetch(opener, checkout)
    assert f"href='{demo.url}/'" in page  # the hosted page's Cancel link
    status, headers, _ = fetch(opener, checkout, {"payment_method": "pm_card_visa"})
    assert (status, headers["Location"]) == (303, f"{demo.url}/subscriptions/")

    status, headers, _ = press_the_button(opener, f"{demo.url}/billing-portal/")
    assert status == 303 and headers["Location"].startswith(f"{demo.fake_url}/p/session/")
    _, _, page = fetch(opener, headers["Location"])
    assert f"href='{demo.url}/subscriptions/'" in page  # the billing portal's Return link


def test_a_second_ctrl_c_while_stopping_still_stops_everything(demo):
    assert len(demo.pids) == 2, "the fake Stripe and the dev server"
    assert [path.name for path in demo.tmp.iterdir()] != []
    [fake] = [pid for pid in demo.pids if "django_stripe.testing.server" in command_line(pid)]
    # A child slow to stop holds the demo in its wait for it, so the second Ctrl-C surely arrives there:
    # a stopped process acts on no signal but SIGKILL, which the demo sends after its 5 s of patience.
    os.kill(fake, signal.SIGSTOP)

    demo.ctrl_c()
    demo.wait_for_output("Stopping the demo", 30)
    time.sleep(0.5)
    demo.ctrl_c()

    assert demo.process.wait(timeout=60) == 0, demo.output()
    assert [pid for pid in demo.pids if is_running(pid)] == []
    assert list(demo.tmp.iterdir()) == [], "the demo's temporary directory (its database) was left behind"
    assert "Traceback" not in demo.output()


def test_the_team_demo_bills_acme_and_its_reader_only_reads(tmp_path):
    """`demo.py --team`: the demo user pays for Acme through Stripe Checkout; "reader" then sees Acme's
    subscription under the team's URL without a button that writes, and a POST of theirs answers 403."""
    with running_demo(tmp_path, "--team") as demo:
        team_url = demo.url + re.search(r"/teams/\d+/billing/", demo.output())[0]
        owner = browser()
        log_in(owner, demo.url)
        status, headers, _ = press_the_button(owner, f"{team_url}checkout/{a_demo_price(demo.fake_url)}/")
        assert status == 303
        status, headers, _ = fetch(owner, headers["Location"], {"payment_method": "pm_card_visa"})
        assert status == 303

        reader = browser()
        log_in(reader, demo.url, "reader")
        html = page_once(reader, f"{team_url}subscriptions/", "data-ds-subscription=")  # mirrored by webhook
        assert "data-ds-read-only" in html and "data-ds-action=" not in html
        assert "data-ds-billing-portal" not in html
        status, _, html = fetch(reader, f"{team_url}billing-portal/")
        assert status == 200 and "data-ds-go-to" not in html
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', fetch(reader, f"{demo.url}/api-auth/login/")[2]
        )
        status, _, html = fetch(reader, f"{team_url}billing-portal/", {"csrfmiddlewaretoken": token[1]})
        assert status == 403 and READ_ONLY in html
        # The owner's own pages, without the prefix, act for their current team, Acme, and may change it.
        status, _, html = fetch(owner, f"{demo.url}/subscriptions/")
        assert status == 200 and 'data-ds-action="cancel"' in html


def page_once(opener, url: str, text: str, timeout: float = 60) -> str:
    """The page at `url` once it shows `text` (what the fake's background webhooks bring), else the test fails."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, html = fetch(opener, url)
        if status == 200 and text in html:
            return html
        if time.monotonic() > deadline:
            pytest.fail(f"{url} never showed {text!r} (status {status}):\n{html}")
        time.sleep(0.5)
