import pytest
import stripe


def test_product_crud_and_events(client, fake):
    product = client.v1.products.create({"name": "Pro", "metadata": {"tier": "2"}, "description": "All of it"})
    assert product.id.startswith("prod_") and product.active and product.metadata.to_dict() == {"tier": "2"}
    assert client.v1.products.retrieve(product.id).name == "Pro"

    updated = client.v1.products.update(product.id, {"name": "Pro+", "metadata": {"tier": ""}})
    assert updated.name == "Pro+" and updated.metadata.to_dict() == {}
    event = fake.events[-1]
    assert event["type"] == "product.updated"
    previous = event["data"]["previous_attributes"]
    assert previous["name"] == "Pro" and previous["metadata"] == {"tier": "2"}

    deleted = client.v1.products.delete(product.id)
    assert deleted.deleted is True
    assert fake.events[-1]["type"] == "product.deleted"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.products.retrieve(product.id)
    assert error.value.http_status == 404 and error.value.code == "resource_missing"


def test_product_list_filters(client):
    kept = client.v1.products.create({"name": "A"})
    archived = client.v1.products.create({"name": "B", "active": False})
    assert [p.id for p in client.v1.products.list({"active": False}).data] == [archived.id]
    assert [p.id for p in client.v1.products.list({"ids": [kept.id]}).data] == [kept.id]
    assert [p.id for p in client.v1.products.list().data] == [archived.id, kept.id]  # newest first


def test_product_with_prices_cannot_be_deleted(client, price):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.delete(price.product)


def test_default_price_data(client):
    product = client.v1.products.create(
        {
            "name": "Pro",
            "default_price_data": {"currency": "eur", "unit_amount": 900, "recurring": {"interval": "year"}},
        }
    )
    price = client.v1.prices.retrieve(product.default_price)
    assert price.currency == "eur" and price.recurring.interval == "year" and price.product == product.id


def test_prices(client, fake):
    product = client.v1.products.create({"name": "Pro"})
    monthly = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}}
    )
    one_time = client.v1.prices.create({"product": product.id, "currency": "eur", "unit_amount": 500})
    assert (
        monthly.type == "recurring"
        and monthly.recurring.interval_count == 1
        and str(monthly.unit_amount_decimal) == "1000"
    )
    assert one_time.type == "one_time" and one_time.recurring is None

    assert [p.id for p in client.v1.prices.list({"type": "recurring"}).data] == [monthly.id]
    assert [p.id for p in client.v1.prices.list({"currency": "eur"}).data] == [one_time.id]
    assert [p.id for p in client.v1.prices.list({"product": product.id}).data] == [one_time.id, monthly.id]

    archived = client.v1.prices.update(monthly.id, {"active": False, "nickname": "Monthly"})
    assert archived.active is False and archived.nickname == "Monthly"
    assert fake.events[-1]["data"]["previous_attributes"] == {"active": True, "nickname": None}
    assert [p.id for p in client.v1.prices.list({"active": True}).data] == [one_time.id]


def test_price_with_product_data_and_lookup_key(client):
    price = client.v1.prices.create(
        {"product_data": {"name": "Basic"}, "currency": "usd", "unit_amount": 100, "lookup_key": "basic"}
    )
    assert client.v1.products.retrieve(price.product).name == "Basic"
    assert [p.id for p in client.v1.prices.list({"lookup_keys": ["basic"]}).data] == [price.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create({"product": price.product, "currency": "usd", "unit_amount": 1, "lookup_key": "basic"})


def test_expand(client, price):
    expanded = client.v1.prices.retrieve(price.id, {"expand": ["product"]})
    assert expanded.product.object == "product"
    page = client.v1.prices.list({"expand": ["data.product"]})
    assert page.data[0].product.name == "Pro"
