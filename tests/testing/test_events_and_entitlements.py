import pytest
import stripe


def test_events_list_and_retrieve(client, fake):
    # Created and renamed in one second: a rename in the next second would also change `updated`, which
    # previous_attributes then names as well (as Stripe's does).
    fake.clock.pin(fake.clock.now())
    product = client.v1.products.create({"name": "A"})
    client.v1.products.update(product.id, {"name": "B"})
    fake.clock.pin(None)
    fake.advance_clock(60)  # the customer comes a minute later, whatever second the products fell in
    client.v1.customers.create({"email": "a@example.com"})

    events = client.v1.events.list()
    assert [e.type for e in events.data] == ["customer.created", "product.updated", "product.created"]
    assert [e.type for e in client.v1.events.list({"type": "product.*"}).data] == ["product.updated", "product.created"]
    assert [e.type for e in client.v1.events.list({"type": "customer.created"}).data] == ["customer.created"]
    chosen = client.v1.events.list({"types": ["product.created", "customer.created"]})
    assert [e.type for e in chosen.data] == ["customer.created", "product.created"]
    first, updated, created_customer = fake.events
    assert [e.type for e in client.v1.events.list({"created": {"gt": updated["created"]}}).data] == ["customer.created"]
    assert [e.type for e in client.v1.events.list({"created": {"lt": created_customer["created"]}}).data] == [
        "product.updated",
        "product.created",
    ]
    assert len(client.v1.events.list({"created": {"gte": first["created"]}}).data) == 3

    event = client.v1.events.retrieve(first["id"])
    assert event.type == "product.created" and event.data.object.id == product.id
    assert event.data.object.name == "A"  # the snapshot at the time of the event
    assert fake.events[1]["data"]["previous_attributes"] == {"name": "A"}


def test_active_entitlements(client, fake, customer, price):
    fake.add_product_feature(price.product, "premium")
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    entitlements = client.v1.entitlements.active_entitlements.list({"customer": customer.id})
    assert [e.lookup_key for e in entitlements.data] == ["premium"]
    assert client.v1.entitlements.active_entitlements.retrieve(entitlements.data[0].id).lookup_key == "premium"
    summary = [e for e in fake.events if e["type"] == "entitlements.active_entitlement_summary.updated"]
    assert len(summary) == 1
    obj = summary[0]["data"]["object"]
    assert obj["customer"] == customer.id and obj["object"] == "entitlements.active_entitlement_summary"
    assert obj["entitlements"]["data"][0]["lookup_key"] == "premium"
    assert summary[0]["data"]["previous_attributes"]["entitlements"]["data"] == []

    client.v1.subscriptions.cancel(subscription.id)
    assert client.v1.entitlements.active_entitlements.list({"customer": customer.id}).data == []
    assert fake.events[-1]["type"] == "entitlements.active_entitlement_summary.updated"
    assert fake.events[-1]["data"]["object"]["entitlements"]["data"] == []


def test_features_through_the_api(client, customer, price):
    feature = client.v1.entitlements.features.create({"name": "Exports", "lookup_key": "exports"})
    product_feature = client.v1.products.features.create(price.product, {"entitlement_feature": feature.id})
    assert product_feature.entitlement_feature.lookup_key == "exports"
    assert [f.id for f in client.v1.products.features.list(price.product).data] == [product_feature.id]
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 7})
    listed = client.v1.entitlements.active_entitlements.list({"customer": customer.id})
    assert [e.feature for e in listed.data] == [feature.id]
    client.v1.products.features.delete(price.product, product_feature.id)
    assert client.v1.entitlements.active_entitlements.list({"customer": customer.id}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.entitlements.active_entitlements.list({"customer": "cus_missing"})
