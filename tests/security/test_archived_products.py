"""ATTACK: buy, or look up, a price whose product is no longer for sale. Over real HTTP (a live server, the fake
Stripe on its own port delivering its signed webhooks).

A product is archived while its prices stay active (Stripe does not archive them with it), or its webhooks never
reached the mirror, or Stripe no longer has it. Before, an active price of an archived product answered 200 on
`GET /api/prices/<id>/` and was listed by `GET /api/prices/`, and a write took a product missing from the mirror
for an active one, so a price of an archived product whose webhook was lost was sold. Now the catalogue reads
show only prices of active, mirrored products (a price whose product is not mirrored is simply not listed: reads
never call Stripe), and a write fetches a product the mirror does not have once from Stripe and refuses the
price when Stripe does not have the product, or has it archived.
"""

from __future__ import annotations

import pytest

from django_stripe.client import get_client
from django_stripe.models import Price, Product
from django_stripe.testing.factories import PriceFactory

from .attacks import add_card, api_user, subscribe, subscriptions_at_stripe

pytestmark = pytest.mark.django_db(transaction=True)


def unavailable(price_id: str) -> dict:
    return {"detail": f"The price '{price_id}' is no longer available."}


def listed_prices(session, **query) -> list[str]:
    return [price["id"] for price in session.get(f"{session.base}/prices/", params=query).json()]


def mirror_only_the_price(fake, product_params: dict) -> str:
    """A product and a monthly price at Stripe, of which only the price's webhook arrives (the product's are
    lost): the price's id."""
    fake.delivery_mode = "queued"
    client = get_client()
    product = client.v1.products.create(params={"name": "Lost", **product_params})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 700, "recurring": {"interval": "month"}}
    )
    [created] = [event for event in fake.queued_events() if event["type"] == "price.created"]
    fake.deliver(created)
    fake.delivery_mode = "immediate"
    assert Price.objects.filter(id=price.id, active=True).exists() and not Product.objects.filter(id=product.id)
    return price.id


def test_a_price_of_an_archived_product_is_neither_shown_nor_sold(shop):
    get_client().v1.products.update(shop["product"], params={"active": False})
    assert Price.objects.get(id=shop["month"]).active is True  # Stripe leaves the prices active
    user, session = api_user(shop)

    assert session.get(f"{session.base}/prices/{shop['month']}/").status_code == 404
    assert listed_prices(session) == []
    assert listed_prices(session, product=shop["product"]) == []
    assert session.get(f"{session.base}/products/").json() == []
    assert session.get(f"{session.base}/products/{shop['product']}/").status_code == 404

    card = add_card(session)
    refused = subscribe(session, price_id=shop["month"], default_payment_method=card)
    assert (refused.status_code, refused.json()) == (400, unavailable(shop["month"]))
    assert session.post(f"{session.base}/checkout/{shop['month']}/").status_code == 400
    assert subscriptions_at_stripe(user) == []


def test_a_price_whose_product_is_not_mirrored_is_not_listed_and_sold_once_stripe_says_it_is_active(shop):
    price_id = mirror_only_the_price(shop["fake"], {})
    user, session = api_user(shop)

    assert price_id not in listed_prices(session)
    assert session.get(f"{session.base}/prices/{price_id}/").status_code == 404
    assert not Product.objects.filter(id=Price.objects.get(id=price_id).product_id).exists()  # reads ask no one

    sold = subscribe(session, price_id=price_id, default_payment_method=add_card(session))
    assert sold.status_code == 201, sold.text
    assert Product.objects.get(id=Price.objects.get(id=price_id).product_id).active is True  # fetched, mirrored
    assert price_id in listed_prices(session)


def test_a_price_of_an_archived_product_whose_webhooks_were_lost_is_not_sold(shop):
    price_id = mirror_only_the_price(shop["fake"], {"active": False})
    user, session = api_user(shop)
    card = add_card(session)

    refused = subscribe(session, price_id=price_id, default_payment_method=card)

    assert (refused.status_code, refused.json()) == (400, unavailable(price_id))
    assert session.post(f"{session.base}/checkout/{price_id}/").status_code == 400
    assert subscriptions_at_stripe(user) == []
    assert Product.objects.get(id=Price.objects.get(id=price_id).product_id).active is False  # as Stripe said


def test_a_price_of_a_product_stripe_no_longer_has_is_not_sold(shop):
    orphan = PriceFactory(payload__product="prod_gone_from_stripe")
    user, session = api_user(shop)
    card = add_card(session)

    assert orphan.id not in listed_prices(session)
    assert session.get(f"{session.base}/prices/{orphan.id}/").status_code == 404
    refused = subscribe(session, price_id=orphan.id, default_payment_method=card)

    assert (refused.status_code, refused.json()) == (400, unavailable(orphan.id))
    assert subscriptions_at_stripe(user) == []
    assert not Product.objects.filter(id="prod_gone_from_stripe").exists()  # a 404 leaves no tombstone
