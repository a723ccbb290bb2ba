import pytest
import stripe


def test_customer_crud(client, fake):
    customer = client.v1.customers.create({"email": "a@example.com", "name": "A", "metadata": {"user": "1"}})
    assert customer.id.startswith("cus_") and customer.invoice_settings.default_payment_method is None
    updated = client.v1.customers.update(customer.id, {"name": "B"})
    assert updated.name == "B"
    assert fake.events[-1]["type"] == "customer.updated"
    assert fake.events[-1]["data"]["previous_attributes"] == {"name": "A"}
    assert [c.id for c in client.v1.customers.list({"email": "a@example.com"}).data] == [customer.id]

    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True and fake.events[-1]["type"] == "customer.deleted"
    assert client.v1.customers.retrieve(customer.id).deleted is True


def test_delete_cancels_live_subscriptions_only(client, fake, customer, price):
    live = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    expired = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_chargeDeclined"}
    )
    fake.advance_clock(86400)  # the incomplete one expires
    other = client.v1.customers.create({"email": "b@example.com"})
    theirs = client.v1.subscriptions.create(
        {"customer": other.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    assert client.v1.customers.delete(customer.id).deleted is True
    assert client.v1.subscriptions.retrieve(live.id).status == "canceled"
    assert client.v1.subscriptions.retrieve(expired.id).status == "incomplete_expired"
    assert client.v1.subscriptions.retrieve(theirs.id).status == "active"


@pytest.mark.parametrize("token", ["pm_card_visa", "pm_card_mastercard", "pm_card_chargeDeclined"])
def test_attach_test_tokens(client, customer, fake, token):
    payment_method = client.v1.payment_methods.attach(token, {"customer": customer.id})
    assert payment_method.id.startswith("pm_") and payment_method.id != token
    assert payment_method.customer == customer.id and payment_method.type == "card"
    assert fake.events[-1]["type"] == "payment_method.attached"
    assert "previous_attributes" not in fake.events[-1]["data"]
    expected = {"pm_card_visa": "visa", "pm_card_mastercard": "mastercard", "pm_card_chargeDeclined": "visa"}
    assert payment_method.card.brand == expected[token]


def test_raw_card_numbers(client, customer):
    visa = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2040}}
    )
    assert visa.card.last4 == "4242" and visa.card.exp_year == 2040 and visa.customer is None
    declined = client.v1.payment_methods.create({"type": "card", "card": {"number": "4000000000000002"}})
    assert declined.card.last4 == "0002"
    with pytest.raises(stripe.CardError) as error:
        client.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424241"}})
    assert error.value.code == "incorrect_number"


def test_default_payment_method_list_update_detach(client, customer, fake):
    first = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    second = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    customer = client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": first.id}})
    assert customer.invoice_settings.default_payment_method == first.id

    listed = client.v1.payment_methods.list({"customer": customer.id, "type": "card"})
    assert [pm.id for pm in listed.data] == [second.id, first.id]
    nested = client.v1.customers.payment_methods.list(customer.id)
    assert [pm.id for pm in nested.data] == [second.id, first.id]
    assert client.v1.customers.payment_methods.retrieve(customer.id, first.id).id == first.id

    updated = client.v1.payment_methods.update(first.id, {"billing_details": {"name": "Jenny"}, "metadata": {"a": "1"}})
    assert updated.billing_details.name == "Jenny"
    assert fake.events[-1]["type"] == "payment_method.updated"

    detached = client.v1.payment_methods.detach(first.id)
    assert detached.customer is None
    assert fake.events[-1]["type"] == "payment_method.detached"
    assert "previous_attributes" not in fake.events[-1]["data"]  # Stripe sends it on *.updated only
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None


def test_setup_intent_confirm_attaches(client, customer, fake):
    intent = client.v1.setup_intents.create({"customer": customer.id, "payment_method_types": ["card"]})
    assert intent.status == "requires_payment_method" and intent.client_secret.startswith(intent.id)
    confirmed = client.v1.setup_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert confirmed.status == "succeeded"
    assert client.v1.payment_methods.retrieve(confirmed.payment_method).customer == customer.id
    types = [e["type"] for e in fake.events]
    assert types[-3:] == ["setup_intent.created", "payment_method.attached", "setup_intent.succeeded"]


def test_setup_intent_declined(client, customer, fake):
    intent = client.v1.setup_intents.create({"customer": customer.id})
    with pytest.raises(stripe.CardError) as error:
        client.v1.setup_intents.confirm(intent.id, {"payment_method": "pm_card_chargeDeclined"})
    assert error.value.http_status == 402 and error.value.code == "card_declined"
    assert client.v1.setup_intents.retrieve(intent.id).status == "requires_payment_method"
    assert fake.events[-1]["type"] == "setup_intent.setup_failed"


def test_setup_intent_create_and_confirm_at_once(client, customer):
    intent = client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
