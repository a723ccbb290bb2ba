import pytest

from django_stripe.testing.demo import seed_demo_catalogue

PUBLISHABLE_KEY = "pk_test_portal"


@pytest.fixture
def plans(synced_fake, settings):
    """The demo catalogue at the fake Stripe, mirrored through webhooks, as the default product."""
    from django_stripe.client import get_client

    seeded = seed_demo_catalogue(get_client())
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = seeded["product"].id
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    return {"product": seeded["product"].id, "prices": [price.id for price in seeded["prices"]]}


@pytest.fixture
def user(make_user):
    return make_user("alice", email="alice@example.com", first_name="Alice", last_name="Liddell")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def subscribe(user, price, card="pm_card_visa"):
    """Subscribe `user` to `price` with a saved test card, as the checkout page does."""
    from django_stripe import payments
    from django_stripe.client import get_client

    payments.create_customer(user)
    payment_method = get_client().v1.payment_methods.attach(card, params={"customer": user.stripe_customer_id})
    return payments.create_subscription(
        user, price, default_payment_method=payment_method.id, set_as_default_payment_method=True
    )
