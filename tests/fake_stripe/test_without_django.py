"""The fake Stripe is a package of its own: in a Python where Django cannot be imported, `fake_stripe` imports,
serves HTTP (in a thread and as `python -m fake_stripe`), answers the SDK, and its pytest plugin gives a project's
tests their fake. Each check runs in a fresh interpreter whose import system refuses Django (a `sys.meta_path`
blocker installed before anything else), so a stray `import django` anywhere in the fake fails it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import stripe

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
REFUSED = ("django", "django_stripe", "rest_framework", "pytest_django")

# Installed first in every child: importing any of REFUSED raises ModuleNotFoundError, as without Django.
BLOCKER = textwrap.dedent(
    f"""
    import sys

    class RefuseDjango:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {REFUSED!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (refused by the test)", name=name)
            return None

    sys.meta_path.insert(0, RefuseDjango())
    """
)


def python(code: str, **kwargs: object) -> subprocess.Popen[str]:
    """A child Python with Django refused, running `code`; the repository on its path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)], env=env, text=True, **kwargs
    )  # fmt: skip


def output_of(code: str, cwd: Path | None = None) -> str:
    child = python(code, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd)
    output, _ = child.communicate(timeout=60)
    assert child.returncode == 0, output
    return output


def test_the_blocker_refuses_django():
    assert "refused" in output_of(
        """
        try:
            import django
        except ModuleNotFoundError as error:
            print(error)
        """
    )


def test_the_fake_serves_the_sdk_over_http_without_django():
    result = output_of(
        """
        import json, sys
        import stripe
        from fake_stripe import FakeStripe, FakeStripeServer

        with FakeStripeServer(FakeStripe()) as server:
            client = stripe.StripeClient("sk_test_alone", base_addresses={"api": server.url}, max_network_retries=0)
            product = client.v1.products.create({"name": "Standalone"})
            price = client.v1.prices.create(
                {"product": product.id, "currency": "usd", "unit_amount": 900, "recurring": {"interval": "month"}}
            )
            names = [p.name for p in client.v1.products.list().data]
            loaded = sorted(name for name in sys.modules if name.partition(".")[0] in ("django", "django_stripe"))
            print(json.dumps({"names": names, "price": price.product == product.id, "loaded": loaded}))
        """
    )
    assert json.loads(result.splitlines()[-1]) == {"names": ["Standalone"], "price": True, "loaded": []}


def test_python_m_fake_stripe_runs_without_django():
    port = free_port()
    code = f"""
        import runpy, sys
        sys.argv = ["fake_stripe", "--port", "{port}"]
        runpy.run_module("fake_stripe", run_name="__main__", alter_sys=True)
        """
    server = python(code, stderr=subprocess.PIPE)
    try:
        banner = server.stderr.readline()
        assert f"listening on http://127.0.0.1:{port}" in banner, banner + server.stderr.read()
        client = stripe.StripeClient(
            "sk_test_alone", base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=0
        )
        customer = client.v1.customers.create({"email": "alone@example.com"})
        assert client.v1.customers.retrieve(customer.id).email == "alone@example.com"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def test_the_pytest_plugin_in_a_project_without_django(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the project's root, not this repository's settings
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["fake_stripe.pytest_plugin"]\n')
    (tmp_path / "test_shop.py").write_text(
        textwrap.dedent(
            """
            import stripe


            def test_in_process(fake_stripe_client, fake_stripe):
                product = fake_stripe_client.v1.products.create({"name": "Pro"})
                assert [event["type"] for event in fake_stripe.events] == ["product.created"]
                assert fake_stripe.get(product.id)["name"] == "Pro"


            def test_each_test_has_a_fresh_fake(fake_stripe_client):
                assert fake_stripe_client.v1.products.list().data == []


            def test_over_http(fake_stripe_server):
                client = stripe.StripeClient("sk_test_shop", base_addresses={"api": fake_stripe_server.url})
                client.v1.customers.create({"email": "shop@example.com"})
                assert [c["email"] for c in fake_stripe_server.fake.store.newest_first("customer")] == [
                    "shop@example.com"
                ]
            """
        )
    )
    output = output_of(
        """
        import os, sys
        # pytest-django and the other installed plugins stay out (pytest-django would import Django): the project
        # names the one plugin it uses.
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "test_shop.py"]))
        """,
        cwd=tmp_path,
    )
    assert "3 passed" in output, output
