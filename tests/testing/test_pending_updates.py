"""Pending updates (`payment_behavior=pending_if_incomplete`): held when the charge is declined, applied when
the invoice is paid, discarded when it expires; only the supported parameters; ending a trial by an update."""

import pytest
import stripe

from django_stripe.testing.fixtures import stripe_fixture

HOUR = 3600
DAY = 24 * HOUR
PENDING_KEYS = set(stripe_fixture("subscription")["pending_update"])


def types_since(fake, count):
    return [e["type"] for e in fake.events[count:]]


@pytest.fixture
def plus(client, price):
    return client.v1.prices.create(
        {"product": price.product, "currency": "usd", "unit_amount": 5000, "recurring": {"interval": "month"}}
    )


@pytest.fixture
def subscribed(client, fake, customer, price):
    """Subscribed to `price` with a card that works, then the customer's default card becomes one whose charges
    fail (`pm_card_chargeCustomerFail` attaches, as a card that is set up, and declines every charge)."""
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": visa.id}})
    fake.add_product_feature(price.product, "basic")
    subscription = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": failing.id}})
    return subscription


def upgrade(client, subscription, price_id, **extra):
    item = subscription["items"].data[0]
    return client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": item.id, "price": price_id}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
            **extra,
        },
    )


def test_a_declined_charge_holds_the_update(client, fake, subscribed, price, plus):
    item = subscribed["items"].data[0]
    count, asked_at = len(fake.events), fake.now()
    held = upgrade(client, subscribed, plus.id, metadata={"plan": "plus"})

    assert held.status == "active" and held.metadata.to_dict() == {}
    assert [(i.id, i.price.id) for i in held["items"].data] == [(item.id, price.id)]
    pending = held.pending_update
    assert set(pending.to_dict()) == PENDING_KEYS
    assert [(i.id, i.price.id, i.object) for i in pending.subscription_items] == [
        (item.id, plus.id, "subscription_item")
    ]
    assert pending.subscription_items[0].plan.id == plus.id
    assert pending.metadata.to_dict() == {"plan": "plus"}
    assert pending.billing_cycle_anchor is None and pending.trial_end is None and pending.trial_from_plan is None
    assert pending.discounts == [] and pending.discount is None
    assert asked_at + 23 * HOUR <= pending.expires_at <= fake.now() + 23 * HOUR  # the period ends later than that

    invoice = client.v1.invoices.retrieve(held.latest_invoice)
    assert held.latest_invoice != subscribed.latest_invoice
    assert invoice.status == "open" and invoice.billing_reason == "subscription_update" and invoice.amount_due > 0
    assert types_since(fake, count) == [
        "invoiceitem.created",
        "invoiceitem.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    previous = fake.events[-1]["data"]["previous_attributes"]
    assert previous == {"pending_update": None, "latest_invoice": subscribed.latest_invoice}
    assert client.v1.subscription_items.retrieve(item.id).price.id == price.id
    retrieved = client.v1.subscriptions.retrieve(subscribed.id)
    assert retrieved.pending_update.subscription_items[0].price.id == plus.id


def test_a_paid_charge_applies_the_update_at_once(client, fake, subscribed, plus):
    client.v1.customers.update(subscribed.customer, {"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    count = len(fake.events)
    updated = upgrade(client, subscribed, plus.id)
    assert updated.pending_update is None and updated["items"].data[0].price.id == plus.id
    assert client.v1.invoices.retrieve(updated.latest_invoice).status == "paid"
    assert types_since(fake, count)[-3:] == [
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]


def test_paying_the_invoice_with_a_good_card_applies_the_update(client, fake, subscribed, price, plus):
    held = upgrade(client, subscribed, plus.id, metadata={"plan": "plus"})
    client.v1.subscriptions.update(subscribed.id, {"metadata": {"team": "a"}})  # unrelated keys are kept

    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(held.latest_invoice)  # the same card: still pending, nothing applied
    still = client.v1.subscriptions.retrieve(subscribed.id)
    assert still.pending_update.expires_at == held.pending_update.expires_at
    assert still["items"].data[0].price.id == price.id

    count = len(fake.events)
    paid = client.v1.invoices.pay(held.latest_invoice, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid"
    applied = client.v1.subscriptions.retrieve(subscribed.id)
    assert applied.pending_update is None and applied.status == "active"
    assert [i.price.id for i in applied["items"].data] == [plus.id]
    assert client.v1.subscription_items.retrieve(applied["items"].data[0].id).price.id == plus.id
    assert applied.metadata.to_dict() == {"team": "a", "plan": "plus"}
    assert types_since(fake, count) == [
        "payment_method.attached",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
        "customer.subscription.pending_update_applied",
    ]
    update = fake.events[-2]["data"]
    assert update["previous_attributes"]["pending_update"]["subscription_items"][0]["price"]["id"] == plus.id
    assert update["previous_attributes"]["items"]["data"][0]["price"]["id"] == price.id
    assert fake.events[-1]["data"]["object"]["pending_update"] is None


def test_paying_the_held_update_refreshes_the_entitlements(client, fake, subscribed, plus):
    fake.add_product_feature(plus.product, "premium")  # the same product: both prices give basic and premium
    other = client.v1.products.create({"name": "Team"})
    team = client.v1.prices.create(
        {"product": other.id, "currency": "usd", "unit_amount": 9000, "recurring": {"interval": "month"}}
    )
    fake.add_product_feature(other.id, "team")
    held = upgrade(client, subscribed, team.id)
    active = client.v1.entitlements.active_entitlements.list({"customer": subscribed.customer}).data
    assert {e.lookup_key for e in active} == {"basic", "premium"}  # the held update gives nothing yet

    count = len(fake.events)
    client.v1.invoices.pay(held.latest_invoice, {"payment_method": "pm_card_visa"})
    active = client.v1.entitlements.active_entitlements.list({"customer": subscribed.customer}).data
    assert {e.lookup_key for e in active} == {"team"}
    assert types_since(fake, count)[-1] == "entitlements.active_entitlement_summary.updated"


def test_the_held_update_expires_after_23_hours(client, fake, subscribed, price, plus):
    held = upgrade(client, subscribed, plus.id)
    fake.advance_clock(22 * HOUR)
    assert client.v1.subscriptions.retrieve(subscribed.id).pending_update is not None

    count = len(fake.events)
    fake.advance_clock(1 * HOUR + 60)
    assert types_since(fake, count) == [
        "invoice.voided",
        "customer.subscription.updated",
        "customer.subscription.pending_update_expired",
    ]
    assert all(e["created"] == held.pending_update.expires_at for e in fake.events[count:])
    assert fake.events[count + 1]["data"]["previous_attributes"]["pending_update"]["expires_at"] > 0
    expired = client.v1.subscriptions.retrieve(subscribed.id)
    assert expired.pending_update is None and expired.status == "active"
    assert [i.price.id for i in expired["items"].data] == [price.id]
    assert client.v1.invoices.retrieve(held.latest_invoice).status == "void"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(held.latest_invoice, {"payment_method": "pm_card_visa"})

    # The subscription cycles as if no update was asked for: the renewal bills the old price.
    client.v1.customers.update(subscribed.customer, {"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    fake.advance_clock(subscribed["items"].data[0].current_period_end - fake.now() + 60)
    renewed = client.v1.subscriptions.retrieve(subscribed.id)
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    assert invoice.billing_reason == "subscription_cycle" and invoice.status == "paid"
    assert [(line.pricing.price_details.price, line.amount) for line in invoice.lines.data] == [(price.id, 2000)]


def test_earlier_prorations_wait_for_the_renewal_again_when_the_held_update_expires(client, fake, subscribed, plus):
    item = subscribed["items"].data[0]
    client.v1.subscriptions.update(subscribed.id, {"items": [{"id": item.id, "quantity": 2}]})  # pending prorations
    earlier = {i.id for i in client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data}
    held = upgrade(client, subscribed, plus.id)
    invoice = client.v1.invoices.retrieve(held.latest_invoice)
    assert earlier <= {line.parent.subscription_item_details.invoice_item for line in invoice.lines.data}
    assert client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data == []

    fake.advance_clock(23 * HOUR + 60)
    pending = {i.id for i in client.v1.invoice_items.list({"customer": subscribed.customer, "pending": True}).data}
    assert pending == earlier


def test_a_held_update_expires_at_the_trial_end_when_sooner(client, fake, customer, price, plus):
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    trial_end = fake.now() + 10 * HOUR
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_end": trial_end,
            "default_payment_method": failing.id,
        }
    )
    held = upgrade(client, subscription, plus.id, trial_end="now")
    assert held.status == "trialing" and held.pending_update.expires_at == trial_end


def test_only_the_supported_parameters_may_be_passed(client, fake, subscribed, plus):
    item = subscribed["items"].data[0]
    count = len(fake.events)
    for params, param in (
        ({"description": "Plus"}, "description"),
        ({"cancel_at_period_end": True}, "cancel_at_period_end"),
        ({"items": [{"id": item.id, "price": plus.id, "metadata": {"a": "b"}}]}, "items[0][metadata]"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as error:
            client.v1.subscriptions.update(subscribed.id, {"payment_behavior": "pending_if_incomplete", **params})
        assert error.value.http_status == 400 and error.value.param == param
        assert error.value.error.type == "invalid_request_error"
        assert error.value.user_message == (
            f"When `payment_behavior` is set to `pending_if_incomplete`, you can only pass supported params. "
            f"`{param}` is not supported. See https://stripe.com/docs/billing/subscriptions/pending-updates-reference"
            "#supported-attributes for more details."
        )
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscription_items.update(
            item.id, {"price": plus.id, "payment_behavior": "pending_if_incomplete", "tax_rates": [""]}
        )
    assert error.value.param == "tax_rates"
    assert types_since(fake, count) == []
    assert (
        client.v1.subscriptions.retrieve(subscribed.id)["items"].data[0].price.id
        == subscribed["items"].data[0].price.id
    )


def test_the_item_routes_hold_pending_updates_too(client, fake, subscribed, price, plus):
    item = subscribed["items"].data[0]
    answered = client.v1.subscription_items.update(
        item.id,
        {
            "price": plus.id,
            "metadata": {"seat": "1"},
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
        },
    )
    assert answered.price.id == price.id  # as it is: the change waits for the payment
    held = client.v1.subscriptions.retrieve(subscribed.id)
    assert held.pending_update.subscription_items[0].price.id == plus.id
    assert held.pending_update.subscription_items[0].metadata.to_dict() == {"seat": "1"}
    client.v1.invoices.pay(held.latest_invoice, {"payment_method": "pm_card_visa"})
    assert client.v1.subscription_items.retrieve(item.id).metadata.to_dict() == {"seat": "1"}

    added = client.v1.subscription_items.create(
        {
            "subscription": subscribed.id,
            "price": plus.id,
            "quantity": 2,
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
        }
    )
    assert added.quantity == 2 and added.id.startswith("si_")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_items.retrieve(added.id)  # not an item of the subscription until paid
    held = client.v1.subscriptions.retrieve(subscribed.id)
    assert [i.id for i in held.pending_update.subscription_items] == [item.id, added.id]
    client.v1.invoices.pay(held.latest_invoice, {"payment_method": "pm_card_visa"})
    assert client.v1.subscription_items.retrieve(added.id).quantity == 2


def test_pending_updates_refuse_subscriptions_that_send_invoices(client, customer, price, plus):
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "collection_method": "send_invoice"}
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        upgrade(client, subscription, plus.id)
    assert error.value.param == "payment_behavior"


def test_ending_a_trial_with_a_plan_change_bills_the_new_plan_in_full(client, fake, customer, price, plus):
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 14,
            "default_payment_method": visa.id,
        }
    )
    item = subscription["items"].data[0]
    updated = client.v1.subscriptions.update(
        subscription.id, {"items": [{"id": item.id, "price": plus.id}], "trial_end": "now"}
    )
    now = updated.trial_end
    assert updated.status == "active" and now < subscription.trial_end and updated.billing_cycle_anchor == now
    new_item = updated["items"].data[0]
    assert new_item.price.id == plus.id and new_item.current_period_start == now
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    assert [(line.description, line.amount) for line in invoice.lines.data] == [("1 × Pro", 5000)]  # no credit


def test_ending_a_trial_held_by_a_declined_charge(client, fake, customer, price, plus):
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 14,
            "default_payment_method": failing.id,
        }
    )
    held = upgrade(client, subscription, plus.id, trial_end="now")
    assert held.status == "trialing" and held.trial_end == subscription.trial_end
    assert held["items"].data[0].price.id == price.id
    pending = held.pending_update
    assert pending.trial_end is not None and pending.trial_end < subscription.trial_end
    assert pending.billing_cycle_anchor == pending.trial_end
    assert pending.subscription_items[0].current_period_start == pending.trial_end
    invoice = client.v1.invoices.retrieve(held.latest_invoice)
    assert invoice.status == "open" and invoice.amount_due == 5000

    client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    paid = client.v1.subscriptions.retrieve(subscription.id)
    assert paid.status == "active" and paid.trial_end == pending.trial_end
    assert paid["items"].data[0].price.id == plus.id and paid.billing_cycle_anchor == pending.trial_end


def test_ending_a_trial_alone_bills_its_first_period_as_before(client, fake, customer, price):
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 14,
            "default_payment_method": visa.id,
        }
    )
    ended = client.v1.subscriptions.update(subscription.id, {"trial_end": "now"})
    assert ended.status == "active"
    invoice = client.v1.invoices.retrieve(ended.latest_invoice)
    assert invoice.billing_reason == "subscription_cycle" and invoice.amount_paid == 2000


def test_a_new_change_replaces_the_one_waiting(client, fake, subscribed, price, plus, customer):
    held = upgrade(client, subscribed, plus.id)
    first_invoice = held.latest_invoice
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": visa.id}})

    paid = upgrade(client, held, plus.id)

    assert paid.pending_update is None
    assert [i.price.id for i in paid["items"].data] == [plus.id]
    assert client.v1.invoices.retrieve(first_invoice).status == "void"
    assert client.v1.invoices.retrieve(paid.latest_invoice).status == "paid"
