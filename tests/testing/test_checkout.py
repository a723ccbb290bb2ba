import pytest
import stripe

from django_stripe.testing.fake import StripeError


def test_checkout_subscription_mode(client, fake, price):
    session = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": "https://example.com/ok?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://example.com/cancel",
            "client_reference_id": "user-42",
            "customer_email": "buyer@example.com",
            "subscription_data": {"metadata": {"user": "42"}},
        }
    )
    assert session.status == "open" and session.url and session.amount_total == 4000
    assert client.v1.checkout.sessions.line_items.list(session.id).data[0].quantity == 2

    completed = fake.complete_checkout_session(session.id)
    assert completed["status"] == "complete" and completed["payment_status"] == "paid"
    session = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["subscription"]})
    assert session.client_reference_id == "user-42"
    assert session.subscription.status == "active" and session.subscription.metadata["user"] == "42"
    assert session.subscription["items"].data[0].quantity == 2
    customer = client.v1.customers.retrieve(session.customer)
    assert customer.email == "buyer@example.com"
    types = [e["type"] for e in fake.events]
    assert types[-1] == "checkout.session.completed"
    assert {"customer.created", "payment_method.attached", "customer.subscription.created", "invoice.paid"} <= set(
        types
    )
    with pytest.raises(StripeError, match="no longer"):
        fake.complete_checkout_session(session.id)
    assert [s.id for s in client.v1.checkout.sessions.list({"customer": customer.id}).data] == [session.id]


def test_checkout_declined_card_keeps_session_open(client, fake, price, customer):
    session = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id}],
            "success_url": "https://example.com/ok",
        }
    )
    with pytest.raises(StripeError):
        fake.complete_checkout_session(session.id, payment_method="pm_card_chargeDeclined")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_checkout_setup_mode(client, fake, customer):
    session = client.v1.checkout.sessions.create(
        {"mode": "setup", "customer": customer.id, "currency": "usd", "success_url": "https://example.com/ok"}
    )
    assert session.setup_intent
    fake.complete_checkout_session(session.id, payment_method="pm_card_mastercard")
    session = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["setup_intent"]})
    assert session.status == "complete" and session.setup_intent.status == "succeeded"
    payment_method = client.v1.payment_methods.retrieve(session.setup_intent.payment_method)
    assert payment_method.customer == customer.id and payment_method.card.brand == "mastercard"
    assert [e["type"] for e in fake.events][-1] == "checkout.session.completed"


def test_checkout_expire(client, fake, price):
    session = client.v1.checkout.sessions.create(
        {"mode": "subscription", "line_items": [{"price": price.id}], "success_url": "https://example.com/ok"}
    )
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    assert fake.events[-1]["type"] == "checkout.session.expired"


def test_checkout_requires_line_items(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create({"mode": "subscription", "success_url": "https://example.com/ok"})
    assert error.value.code == "parameter_missing"


def test_billing_portal_session(client, customer):
    session = client.v1.billing_portal.sessions.create({"customer": customer.id, "return_url": "https://example.com/a"})
    assert session.id.startswith("bps_") and session.customer == customer.id and session.url
    assert session.return_url == "https://example.com/a"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.sessions.create({"customer": "cus_missing"})
