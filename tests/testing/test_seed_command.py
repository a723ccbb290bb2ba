"""`manage.py stripe_fake_seed catalogue.json`: a project's own catalogue in the fake, mirrored at once."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import Customer, PaymentMethod, Price, Product
from django_stripe.testing.catalogue import CatalogueError, check_catalogue, seed_catalogue

pytestmark = pytest.mark.django_db

CATALOGUE = {
    "products": [
        {
            "id": "prod_pro",
            "name": "Pro",
            "metadata": {"tier": "pro"},
            "prices": [
                {
                    "lookup_key": "pro-monthly",
                    "currency": "usd",
                    "unit_amount": 1500,
                    "recurring": {"interval": "month"},
                },
                {
                    "lookup_key": "pro-yearly",
                    "currency": "usd",
                    "unit_amount": 15000,
                    "recurring": {"interval": "year"},
                },
            ],
        },
        {"name": "Setup fee", "prices": [{"currency": "usd", "unit_amount": 500}]},
    ],
    "customers": [{"email": "jenny@example.com", "name": "Jenny", "payment_method": "pm_card_visa", "user": "jenny"}],
}


def seed(tmp_path, catalogue=CATALOGUE):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalogue))
    out = StringIO()
    call_command("stripe_fake_seed", str(path), stdout=out)
    return out.getvalue()


def test_the_catalogue_is_created_at_the_fake_and_mirrored(stripe_fake, tmp_path, make_user):
    jenny = make_user("jenny")
    out = seed(tmp_path)
    assert stripe_fake.get("prod_pro")["metadata"] == {"tier": "pro"}
    monthly = Price.objects.get(lookup_key="pro-monthly")
    assert (monthly.product_id, monthly.unit_amount, monthly.recurring_interval) == ("prod_pro", 1500, "month")
    assert set(Product.objects.values_list("name", flat=True)) == {"Pro", "Setup fee"}
    assert Price.objects.count() == 3
    jenny.refresh_from_db()
    customer = Customer.objects.get(id=jenny.stripe_customer_id)
    assert customer.email == "jenny@example.com"
    card = stripe_fake.get(jenny.stripe_customer_id)["invoice_settings"]["default_payment_method"]
    assert PaymentMethod.objects.get(id=card).customer_id == customer.id
    assert f"price           {monthly.id}  pro-monthly  15.00 usd / month  (created)" in out
    assert "Seeded 7 new object(s), 0 already there." in out  # 2 products, 3 prices, a customer and their card
    # The user can subscribe at once: with their card, or with a test token.
    payments.create_subscription(jenny, monthly.id, default_payment_method=card)
    assert payments.is_subscribed(jenny, "prod_pro")


def test_seeding_again_creates_nothing_twice(stripe_fake, tmp_path, make_user):
    make_user("jenny")
    seed(tmp_path)
    again = seed(tmp_path)
    # Only what the catalogue cannot find again (a product without id, a price without lookup_key) is new.
    assert "Seeded 2 new object(s), 4 already there." in again
    assert len(get_client().v1.customers.list().data) == 1
    assert len(get_client().v1.prices.list({"lookup_keys": ["pro-monthly"]}).data) == 1


def test_a_live_key_and_a_bad_file_are_refused_before_any_call(stripe_fake, tmp_path, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_nope"
    with pytest.raises(CommandError, match="live key"):
        seed(tmp_path)
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    with pytest.raises(CommandError, match="unknown section"):
        seed(tmp_path, {"products": [], "subscriptions": []})
    with pytest.raises(CommandError, match="not JSON"):
        (tmp_path / "bad.json").write_text("{")
        call_command("stripe_fake_seed", str(tmp_path / "bad.json"), stdout=StringIO())
    assert stripe_fake.events == []


def test_an_unknown_user_and_an_unreachable_fake_are_one_line_errors(stripe_fake, tmp_path, settings):
    with pytest.raises(CommandError, match="No user 'jenny'"):
        seed(tmp_path)
    settings.STRIPE_HTTP_CLIENT = None
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CommandError, match="Stripe is unreachable at http://127.0.0.1:9"):
        seed(tmp_path, {"products": [{"name": "x"}]})


@pytest.mark.parametrize(
    ("catalogue", "message"),
    [
        ([], "a JSON object"),
        ({"products": {}}, "products must be a list"),
        ({"products": [{"prices": []}]}, "product 1 has no name"),
        ({"products": [{"name": "x", "prices": [{"product": "prod_other"}]}]}, "names a product"),
    ],
)
def test_catalogue_mistakes_say_where(catalogue, message):
    with pytest.raises(CatalogueError, match=message):
        check_catalogue(catalogue)


def test_seed_catalogue_needs_no_django(stripe_fake):
    import stripe

    client = stripe.StripeClient("sk_test_x", http_client=stripe_fake.http_client())
    seeded = seed_catalogue(
        client, {"products": [{"name": "Plain", "prices": [{"currency": "eur", "unit_amount": 1}]}]}
    )
    assert [item.object.object for item in seeded] == ["product", "price"]
    assert stripe_fake.get(seeded[1].id)["product"] == seeded[0].id
