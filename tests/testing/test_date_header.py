"""Like Stripe, the fake dates every API answer: the mirror stamps fetched objects with it."""

from django_stripe.client import get_client
from django_stripe.sync.fetch import response_time


def test_date_header_is_on_the_fakes_clock_and_not_before_the_events(stripe_fake):
    product = get_client().v1.products.create(params={"name": "Dated"})
    answered = response_time(product.last_response.headers)
    assert answered is not None
    assert int(answered.timestamp()) >= stripe_fake.events[-1]["created"]
    stripe_fake.advance_clock(86_400)
    before = stripe_fake.now()
    product = get_client().v1.products.retrieve(product.id)
    assert before <= int(response_time(product.last_response.headers).timestamp()) <= stripe_fake.now()


def test_one_date_header_over_http(stripe_fake_server):
    import http.client
    from urllib.parse import urlsplit

    stripe_fake_server.advance_clock(3 * 86_400)
    address = urlsplit(stripe_fake_server.public_url)
    before = stripe_fake_server.now()
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/v1/products", headers={"Authorization": "Bearer sk_test_one_date"})
    response = connection.getresponse()
    response.read()
    dates = [value for name, value in response.getheaders() if name.lower() == "date"]
    assert len(dates) == 1
    assert before <= int(response_time({"Date": dates[0]}).timestamp()) <= stripe_fake_server.now()
