"""Like Stripe, the fake dates every API answer: the mirror stamps fetched objects with it."""

from django_stripe.client import get_client
from django_stripe.sync.fetch import response_time


def test_date_header_is_on_the_fakes_clock_and_not_before_the_events(stripe_fake):
    product = get_client().v1.products.create(params={"name": "Dated"})
    answered = response_time(product.last_response.headers)
    assert answered is not None
    assert int(answered.timestamp()) >= stripe_fake.events[-1]["created"]
    stripe_fake.advance_clock(86_400)
    product = get_client().v1.products.retrieve(product.id)
    assert int(response_time(product.last_response.headers).timestamp()) == stripe_fake.now()
