"""`make demo`: the example project and its self-hosted checkout, running end to end. Ctrl-C stops it all.

Offline (the default): a fresh SQLite database in a temporary directory, the fake Stripe on
127.0.0.1:12111 seeded with a product and three prices and delivering signed webhooks to the dev server,
a demo user, and the dev server on 127.0.0.1:8000. No network, no Stripe account.

It also seeds a team, "Acme", with two members: the demo user, its owner (who pays), and "reader", a member
who may only read its billing. With `--team` (or DJANGO_STRIPE_BILLABLE=team) the team pays, not the user:
every page acts for Acme, the reader sees its subscription and invoices without a button that writes, and
`/teams/<id>/billing/` is the team's billing under its own URL.

With STRIPE_SECRET_KEY set in the environment it uses real Stripe (test mode) and the example project's
usual database instead: set STRIPE_PUBLISHABLE_KEY and STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID too, and
forward webhooks with `stripe listen --forward-to 127.0.0.1:8000/api/webhook/`, putting the secret it
prints in STRIPE_WEBHOOK_SECRET.

    python example_project/demo.py [--port 8000] [--fake-port 12111] [--team]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANAGE = HERE / "manage.py"
HOST = "127.0.0.1"
USERNAME = "demo"
PASSWORD = "demo"
READER = "reader"  # the team's member who may only read its billing; the password is the username too
TEAM = "Acme"
FAKE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_demo",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_demo",
    "STRIPE_WEBHOOK_SECRET": "whsec_demo",
}
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes through a proxy


def say(message: str = "") -> None:
    print(message, flush=True)


class Demo:
    def __init__(self, port: int, fake_port: int, team: bool = False) -> None:
        self.port = port
        self.fake_port = fake_port
        self.real = bool(os.environ.get("STRIPE_SECRET_KEY"))
        self.children: list[subprocess.Popen] = []
        self.tmp: str | None = None
        # SITE_URL: where Stripe's hosted pages send the user back to (the example project's settings read it).
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "SITE_URL": self.url}
        if team:
            self.env["DJANGO_STRIPE_BILLABLE"] = "team"  # the example project's settings: Acme pays
        self.team_pays = self.env.get("DJANGO_STRIPE_BILLABLE") == "team"
        self.team_id: int | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def fake_url(self) -> str:
        return f"http://{HOST}:{self.fake_port}"

    # -- steps ---------------------------------------------------------------------------------------------

    def run(self) -> int:
        from django_stripe.testing.demo import DEMO_PRODUCT_ID

        ports = [self.port] if self.real else [self.port, self.fake_port]
        for port in ports:
            if _in_use(port):
                say(f"Port {port} on {HOST} is in use (another demo still running?). Stop it, or pick other ports:")
                say("  python example_project/demo.py --port 8001 --fake-port 12112")
                return 1
        if self.real:
            say("STRIPE_SECRET_KEY is set: using real Stripe (test mode) and the example project's database.")
        else:
            self.tmp = tempfile.mkdtemp(prefix="django-stripe-demo-")
            self.env.update(FAKE_KEYS)
            self.env.update(
                DATABASE_URL=f"sqlite:///{Path(self.tmp) / 'demo.sqlite3'}",
                STRIPE_API_BASE=self.fake_url,
                STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID=DEMO_PRODUCT_ID,
                CELERY_TASK_ALWAYS_EAGER="1",
            )
            self.env.pop("REDIS_URL", None)  # tasks run in the request: no broker, no worker to start
            say(f"Starting the fake Stripe on {self.fake_url} ...")
            self.spawn(
                [
                    sys.executable,
                    "-m",
                    "django_stripe.testing.server",
                    "--host",
                    HOST,
                    "--port",
                    str(self.fake_port),
                    "--webhook-url",
                    f"{self.url}/api/webhook/",
                    "--webhook-secret",
                    FAKE_KEYS["STRIPE_WEBHOOK_SECRET"],
                    "--background-delivery",
                ]
            )
            self.wait_for(f"{self.fake_url}/v3/", "the fake Stripe")
        os.environ.update(self.env)  # this process sets up Django too (the demo user, the catalogue)
        if "REDIS_URL" not in self.env:
            os.environ.pop("REDIS_URL", None)

        say("Migrating the database ...")
        subprocess.run([sys.executable, str(MANAGE), "migrate", "--noinput", "-v", "0"], env=self.env, check=True)
        self.setup_django()
        self.create_users()

        say(f"Starting the dev server on {self.url} ...")
        self.spawn([sys.executable, str(MANAGE), "runserver", f"{HOST}:{self.port}", "--noreload"])
        self.wait_for(f"{self.url}/api-auth/login/", "the dev server")
        if self.real:
            self.mirror_real_catalogue()
        else:
            self.seed_fake_catalogue()
        self.banner()
        return self.watch()

    def spawn(self, command: list[str]) -> subprocess.Popen:
        child = subprocess.Popen(command, env=self.env)
        self.children.append(child)
        return child

    def wait_for(self, url: str, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in self.children:
                if child.poll() is not None:
                    raise SystemExit(f"{name} exited with status {child.returncode}")
            try:
                with _opener.open(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise SystemExit(f"{name} did not answer at {url} within {timeout:.0f}s")

    def setup_django(self) -> None:
        sys.path.insert(0, str(HERE))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
        import django

        django.setup()

    def create_users(self) -> None:
        """The demo user, and the team Acme that the demo user owns and "reader" reads, each member with Acme
        as their current team (the team the unprefixed pages act for when the team pays)."""
        from accounts.models import Membership, Team
        from django.db import connections

        owner = self.user(USERNAME, PASSWORD, first_name="Demo", last_name="User")
        owner.is_staff = owner.is_superuser = not self.real  # the admin shows the mirror (read only)
        owner.save()
        reader = self.user(READER, READER, first_name="Reader")
        team, _ = Team.objects.get_or_create(name=TEAM, defaults={"email": "billing@acme.example"})
        for user, role in ((owner, Membership.OWNER), (reader, Membership.MEMBER)):
            Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
            user.current_team = team
            user.save(update_fields=["current_team"])
        self.team_id = team.pk
        connections.close_all()

    def user(self, username: str, password: str, **names: str):
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", **names}
        )
        user.set_password(password)
        user.save()
        return user

    def seed_fake_catalogue(self) -> None:
        """The demo product and prices at the fake; they reach the mirror through the webhooks."""
        from django.db import connections

        from django_stripe.client import get_client
        from django_stripe.models import Price
        from django_stripe.payments import mirror_stripe_object
        from django_stripe.testing.demo import seed_demo_catalogue, seed_demo_meter

        seeded = seed_demo_catalogue(get_client())
        metered = seed_demo_meter(get_client())
        seeded["prices"].append(metered["price"])
        ids = [price.id for price in seeded["prices"]]
        if _until(lambda: Price.objects.filter(id__in=ids).count() == len(ids), 15):
            say("Catalogue seeded at the fake Stripe and mirrored through its webhooks.")
        else:
            say("Warning: the webhooks did not arrive in time; mirroring the catalogue directly.")
            for stripe_object in (seeded["product"], metered["meter"], metered["product"], *seeded["prices"]):
                mirror_stripe_object(stripe_object)
        connections.close_all()

    def mirror_real_catalogue(self) -> None:
        """The default product and its active prices from Stripe into the mirror (the checkout reads it)."""
        from django.db import connections

        from django_stripe.client import get_client
        from django_stripe.conf import stripe_settings
        from django_stripe.payments import mirror_stripe_object

        product_id = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
        if not product_id or not stripe_settings.STRIPE_PUBLISHABLE_KEY:
            say("Warning: set STRIPE_PUBLISHABLE_KEY and STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID for the checkout.")
            return
        client = get_client()
        mirror_stripe_object(client.v1.products.retrieve(product_id))
        for price in client.v1.prices.list(params={"product": product_id, "active": True, "limit": 100}).data:
            mirror_stripe_object(price)
        if not stripe_settings.STRIPE_WEBHOOK_SECRET:
            say("Warning: STRIPE_WEBHOOK_SECRET is not set, so subscriptions will not be mirrored from webhooks.")
            say(f"  stripe listen --forward-to {HOST}:{self.port}/api/webhook/  (then set the secret it prints)")
        connections.close_all()

    def banner(self) -> None:
        stripe = "real Stripe, test mode" if self.real else f"offline: the fake Stripe at {self.fake_url}"
        say()
        say(f"  django-stripe demo: {self.url}/  ({stripe})")
        say()
        say(f"    Log in at    {self.url}/   username: {USERNAME}   password: {PASSWORD}")
        say("    Test cards   4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined")
        say("                 (any future expiry date, any CVC, any postal code)")
        say(f"    Your plan    {self.url}/subscriptions/   (cancel, resume, change card, invoices)")
        if self.team_pays:
            say(f"    Team         {TEAM} pays: {self.url}/teams/{self.team_id}/billing/  ({USERNAME} owns it;")
            say(f"                 log in as {READER} / {READER} to see it as a member who only reads)")
        if not self.real:
            say(f"    Admin        {self.url}/admin/   (same user: the mirror and the webhook events)")
        say()
        say("  Press Ctrl-C to stop everything.")
        say()

    def watch(self) -> int:
        while True:
            for child in self.children:
                if child.poll() is not None:
                    say(f"{' '.join(map(str, child.args[:3]))} exited with status {child.returncode}; stopping.")
                    return 1
            time.sleep(0.5)

    def stop(self) -> None:
        # A second Ctrl-C (or a SIGTERM) while the children wind down would interrupt the waits below and
        # leave children and the temporary database behind: from here on, stopping cannot be interrupted.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if self.children or self.tmp:
            say("\nStopping the demo ...")
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))
    parser.add_argument("--fake-port", type=int, default=int(os.environ.get("DEMO_FAKE_PORT", 12111)))
    parser.add_argument("--team", action="store_true", help="the team Acme pays, not the user")
    options = parser.parse_args(argv)
    # Ctrl-C, even when started from a script that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    demo = Demo(options.port, options.fake_port, team=options.team)
    try:
        return demo.run()
    except KeyboardInterrupt:
        return 0
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
