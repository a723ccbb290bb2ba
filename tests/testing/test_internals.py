"""Unit tests of the fake's building blocks: form decoding and the store's paging."""

import subprocess
import sys
import time
import urllib.request

import pytest

from django_stripe.testing.fake.params import parse_form
from django_stripe.testing.fake.store import Store
from tests import ports


def test_parse_form():
    assert parse_form("items[0][price]=a&items[0][quantity]=2&items[1][price]=b") == {
        "items": [{"price": "a", "quantity": "2"}, {"price": "b"}]
    }
    assert parse_form("items[][price]=a&items[][quantity]=2&items[][price]=b") == {
        "items": [{"price": "a", "quantity": "2"}, {"price": "b"}]
    }
    assert parse_form("expand[]=a&expand[]=b.c") == {"expand": ["a", "b.c"]}
    assert parse_form("expand[0]=a") == {"expand": ["a"]}
    assert parse_form("metadata[key]=&created[gt]=5") == {"metadata": {"key": ""}, "created": {"gt": "5"}}


def test_store_paging_and_lookup():
    store = Store()
    for n in range(10):
        store.add({"id": f"obj_{n}", "object": "thing"})
    store.remove("obj_5")
    page, more = store.page("thing", 3)
    assert [o["id"] for o in page] == ["obj_9", "obj_8", "obj_7"] and more
    page, more = store.page("thing", 3, starting_after="obj_7")
    assert [o["id"] for o in page] == ["obj_6", "obj_4", "obj_3"] and more
    page, more = store.page("thing", 3, ending_before="obj_7")
    assert [o["id"] for o in page] == ["obj_9", "obj_8"] and not more
    page, more = store.page("thing", 3, match=lambda o: o["id"] in ("obj_1", "obj_0"))
    assert [o["id"] for o in page] == ["obj_1", "obj_0"] and not more
    assert store.get("obj_5") is None and store.get("obj_4")["id"] == "obj_4"


def test_store_lists_an_owners_objects_without_a_scan():
    store = Store()
    for n in range(6):
        store.add({"id": f"sub_{n}", "object": "subscription"}, owner=f"cus_{n % 2}")
    store.add({"id": "in_0", "object": "invoice"}, owner="cus_0")
    store.replace({"id": "sub_2", "object": "subscription", "deleted": True})
    assert [o["id"] for o in store.owned_by("cus_0", "subscription")] == ["sub_4", "sub_0"]
    assert [o["id"] for o in store.owned_by("cus_1", "subscription")] == ["sub_5", "sub_3", "sub_1"]
    assert [o["id"] for o in store.owned_by("cus_0", "invoice")] == ["in_0"]
    assert store.owned_by("cus_9", "subscription") == []


@pytest.fixture
def free_port():
    return ports.free_port()


def test_cli_serves_the_api(free_port):
    process = subprocess.Popen(
        [sys.executable, "-m", "django_stripe.testing.server", "--host", "127.0.0.1", "--port", str(free_port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening" in process.stderr.readline()
        import stripe

        client = stripe.StripeClient(
            "sk_test_cli", base_addresses={"api": f"http://127.0.0.1:{free_port}"}, max_network_retries=0
        )
        product = client.v1.products.create({"name": "Over HTTP"})
        assert client.v1.products.retrieve(product.id).name == "Over HTTP"
        request = urllib.request.Request(f"http://127.0.0.1:{free_port}/v1/products")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=5)
        assert error.value.code == 401
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_hosted_checkout_page_over_http(stripe_fake_server):
    import stripe

    from django_stripe.client import get_client

    client = get_client()
    price = client.v1.prices.create(
        {"product_data": {"name": "Pro"}, "currency": "usd", "unit_amount": 500, "recurring": {"interval": "month"}}
    )
    session = client.v1.checkout.sessions.create(
        {"mode": "subscription", "line_items": [{"price": price.id}], "success_url": "http://127.0.0.1:1/done"}
    )
    assert session.url.startswith(stripe_fake_server.public_url)
    with urllib.request.urlopen(session.url, timeout=5) as page:
        assert "Subscribe" in page.read().decode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as error:
        opener.open(urllib.request.Request(session.url, data=b"payment_method=pm_card_visa"), timeout=5)
    assert error.value.code == 303 and error.value.headers["Location"] == "http://127.0.0.1:1/done"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"
    time.sleep(0)
    assert isinstance(stripe.api_key, type(None))  # the module globals are never touched


def test_concurrent_requests_over_http(stripe_fake_server):
    from concurrent.futures import ThreadPoolExecutor

    import stripe

    from django_stripe.client import get_client

    client = get_client()

    def create(n):
        return client.v1.customers.create({"email": f"c{n}@example.com"}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(80)))
    assert len(set(ids)) == 80
    listed = [c.id for c in client.v1.customers.list({"limit": 100}).auto_paging_iter()]
    assert sorted(listed) == sorted(ids)
    assert len([e for e in stripe_fake_server.events if e["type"] == "customer.created"]) == 80
    assert stripe.api_key is None
