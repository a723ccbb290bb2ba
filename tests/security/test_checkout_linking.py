"""Billing takeover through the linking of a completed checkout, over real HTTP: the fake Stripe served over
HTTP completes Checkout Sessions as a Payment Link would create them (the buyer chooses `client_reference_id`
and the prefilled email) and delivers its signed webhooks to the live server.

Before the fix, a customer whose email equalled the user's was linked to the user in `client_reference_id`:
an attacker who registered the victim's address (no verification) took over what the victim paid for, and a
customer paid with a stolen card could be bound to a victim who had none.
"""

from __future__ import annotations

import pytest

from django_stripe import payments
from django_stripe.billables import billable_model
from django_stripe.client import get_client
from django_stripe.models import Subscription
from tests.billables import billable_of, create_user, user_model_only

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec_security_checkout_linking"
VICTIM_EMAIL = "victim@example.com"


def verified_emails(user) -> bool:
    """The test project's STRIPE_VERIFIED_EMAIL: users named verified-* have confirmed their address."""
    return user.username.startswith("verified-")


@pytest.fixture
def shop(stripe_fake_server, live_server, settings):
    """A monthly price at the fake, and the fake's events delivered to the live server's webhook endpoint."""
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    stripe_fake_server.add_webhook_endpoint(f"{live_server.url}/api/webhook/", SECRET)
    client = get_client()
    product = client.v1.products.create(params={"name": "Gold"})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}}
    )
    return {"fake": stripe_fake_server, "product": product.id, "price": price.id}


def pay_through_link(shop, client_reference_id: str, email: str) -> str:
    """A buyer pays the Checkout Session a Payment Link opens for `?client_reference_id=...&prefilled_email=...`;
    returns the customer the checkout created."""
    session = get_client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": shop["price"], "quantity": 1}],
            "client_reference_id": client_reference_id,
            "customer_email": email,
            "success_url": "https://shop.example/thanks",
        }
    )
    completed = shop["fake"].complete_checkout_session(session.id)
    assert all(delivery.status == 200 for delivery in shop["fake"].deliveries)
    # The event went through: the subscription it started is mirrored.
    assert Subscription.objects.filter(customer_id=completed["customer"]).exists()
    return completed["customer"]


def user(username: str, email: str):
    return create_user(username, email, "pw")


def customer_of(someone) -> str | None:
    someone.refresh_from_db()
    return billable_of(someone).stripe_customer_id


def holder_of(customer_id: str):
    return billable_model().objects.filter(stripe_customer_id=customer_id).first()


def test_a_payment_link_naming_the_attacker_does_not_give_them_the_victims_customer(shop):
    # The attacker registers with the victim's address, then sends the victim a link naming the attacker.
    mallory = user("mallory", VICTIM_EMAIL)

    victims_customer = pay_through_link(shop, str(billable_of(mallory).pk), VICTIM_EMAIL)

    assert customer_of(mallory) is None
    assert holder_of(victims_customer) is None
    assert payments.is_subscribed(billable_of(mallory), shop["product"]) is False


def test_a_customer_paid_by_someone_else_is_not_bound_to_a_victim_who_has_none(shop):
    victim = user("victim", VICTIM_EMAIL)

    # Paid with a stolen card, under the victim's pk and address.
    attackers_customer = pay_through_link(shop, str(billable_of(victim).pk), VICTIM_EMAIL)

    assert customer_of(victim) is None
    assert holder_of(attackers_customer) is None
    # The victim still gets a customer of their own when they first need one.
    payments.create_customer(billable_of(victim))
    assert customer_of(victim) not in (None, "", attackers_customer)
    assert shop["fake"].get(billable_of(victim).stripe_customer_id)["email"] == VICTIM_EMAIL


def test_a_signed_reference_links_the_user_who_started_the_checkout(shop):
    alice = user("alice", "alice@example.com")

    # The card holder's address may be any: the signature proves alice started the checkout.
    customer = pay_through_link(shop, payments.checkout_reference(billable_of(alice)), "billing@alice-corp.example")

    assert customer_of(alice) == customer
    assert payments.is_subscribed(billable_of(alice), shop["product"]) is True


def test_a_signed_reference_never_relinks_a_user_who_has_a_customer(shop):
    alice = user("alice", "alice@example.com")
    first = pay_through_link(shop, payments.checkout_reference(billable_of(alice)), "alice@example.com")

    second = pay_through_link(shop, payments.checkout_reference(billable_of(alice)), "alice@example.com")

    assert customer_of(alice) == first != second
    assert holder_of(second) is None


def forged(victim, mallory, settings) -> dict[str, str]:
    """References naming the victim that this server did not sign for them."""
    genuine = payments.checkout_reference(billable_of(mallory))
    with_another_secret_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-project-entirely-" + "x" * 40
    signed_elsewhere = payments.checkout_reference(billable_of(victim))
    settings.SECRET_KEY = with_another_secret_key
    return {
        "made-up signature": f"{victim.pk}_{'0' * 64}",
        "attacker's signature on the victim's pk": f"{victim.pk}_{genuine.rsplit('_', 1)[1]}",
        "signed with another SECRET_KEY": signed_elsewhere,
        "truncated signature": payments.checkout_reference(billable_of(victim))[:-1],
    }


def test_a_forged_or_tampered_reference_links_nobody(shop, settings):
    victim = user("victim", VICTIM_EMAIL)
    mallory = user("mallory", "mallory@example.com")

    for name, reference in forged(victim, mallory, settings).items():
        customer = pay_through_link(shop, reference, VICTIM_EMAIL)
        assert customer_of(victim) is None, name
        assert holder_of(customer) is None, name
    assert customer_of(mallory) is None


@user_model_only(
    reason="the email fallback vouches for a user by their verified address; a team is vouched for only "
    "by the session's marker or its signed reference"
)
def test_with_verified_emails_the_email_fallback_links_and_only_for_a_verified_address(shop, settings):
    settings.STRIPE_VERIFIED_EMAIL = "tests.security.test_checkout_linking.verified_emails"
    ann = user("verified-ann", "Ann@Example.com")
    mallory = user("mallory", VICTIM_EMAIL)  # an address nobody confirmed

    anns_customer = pay_through_link(shop, str(billable_of(ann).pk), "ann@example.COM")
    victims_customer = pay_through_link(shop, str(billable_of(mallory).pk), VICTIM_EMAIL)

    assert customer_of(ann) == anns_customer
    assert customer_of(mallory) is None
    assert holder_of(victims_customer) is None


def test_a_session_made_by_create_checkout_still_links_its_user(shop):
    bob = user("bob", "bob@example.com")

    session = payments.create_checkout(
        billable_of(bob), mode="subscription", line_items=[{"price": shop["price"], "quantity": 1}]
    )
    completed = shop["fake"].complete_checkout_session(session.id)

    assert customer_of(bob) == completed["customer"] is not None
    assert payments.is_subscribed(billable_of(bob), shop["product"]) is True
