"""Every object the fake makes has exactly the keys of Stripe's own fixture for its type."""

import json

from django_stripe.testing.fixtures import stripe_fixture


def keys(obj):
    return set(obj.to_dict() if hasattr(obj, "to_dict") else obj)


def assert_shape(obj, fixture_name):
    expected = set(stripe_fixture(fixture_name))
    assert keys(obj) == expected, (fixture_name, keys(obj) ^ expected)


def test_every_object_type_has_stripes_keys(client, fake, price):
    product = client.v1.products.retrieve(price.product)
    customer = client.v1.customers.create({"email": "a@example.com"})
    payment_method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    setup_intent = client.v1.setup_intents.create({"customer": customer.id})
    fake.add_product_feature(product.id, "premium")
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": payment_method.id}
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    session = client.v1.checkout.sessions.create(
        {"mode": "subscription", "line_items": [{"price": price.id}], "success_url": "https://example.com"}
    )
    portal = client.v1.billing_portal.sessions.create({"customer": customer.id})
    configuration = client.v1.billing_portal.configurations.retrieve(portal.configuration)
    item = subscription["items"].data[0]
    client.v1.subscriptions.update(subscription.id, {"items": [{"id": item.id, "quantity": 2}]})
    invoice_item = client.v1.invoice_items.list({"customer": customer.id}).data[0]
    entitlement = client.v1.entitlements.active_entitlements.list({"customer": customer.id}).data[0]
    feature = client.v1.entitlements.features.list().data[0]
    product_feature = client.v1.products.features.list(product.id).data[0]
    event = client.v1.events.list({"limit": 1}).data[0]
    summary = next(e for e in fake.events if e["type"].startswith("entitlements."))["data"]["object"]

    shapes = {
        "product": product,
        "price": price,
        "customer": customer,
        "payment_method": payment_method,
        "setup_intent": setup_intent,
        "subscription": subscription,
        "subscription_item": subscription["items"].data[0],
        "plan": subscription["items"].data[0].plan,
        "invoice": invoice,
        "line_item": invoice.lines.data[0],
        "checkout.session": session,
        "item": client.v1.checkout.sessions.line_items.list(session.id).data[0],
        "billing_portal.session": portal,
        "billing_portal.configuration": configuration,
        "invoiceitem": invoice_item,
        "entitlements.active_entitlement": entitlement,
        "entitlements.active_entitlement_summary": summary,
        "entitlements.feature": feature,
        "product_feature": product_feature,
        "event": event,
        "deleted_customer": client.v1.customers.delete(client.v1.customers.create().id),
        "deleted_product": client.v1.products.delete(client.v1.products.create({"name": "x"}).id),
    }
    for fixture_name, obj in shapes.items():
        assert_shape(obj, fixture_name)


def test_a_pending_update_has_stripes_keys(client, fake, customer, price):
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": visa.id}})
    subscription = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": failing.id}})
    held = client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": subscription["items"].data[0].id, "quantity": 2}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
        },
    )
    assert_shape(held, "subscription")
    assert keys(held.pending_update) == set(stripe_fixture("subscription")["pending_update"])
    assert_shape(held.pending_update.subscription_items[0], "subscription_item")
    for event in fake.events:
        data = event["data"]["object"]
        if data["object"] in ("subscription", "invoice", "invoiceitem", "customer"):
            assert set(data) == set(stripe_fixture(data["object"])), event["type"]


def test_events_are_json_in_the_current_shape(client, fake, customer, price):
    client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    for event in fake.events:
        assert set(event) == set(stripe_fixture("event"))
        assert json.loads(json.dumps(event)) == event
        data = event["data"]["object"]
        if data["object"] in ("subscription", "invoice", "customer", "product", "price", "payment_method"):
            assert set(data) == set(stripe_fixture(data["object"]))
