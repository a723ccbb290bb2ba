"""`manage.py stripe_sync --check`: the mirror compared with the fake Stripe page by page, nothing written."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_stripe import models
from django_stripe.sync.backfill import backfill
from django_stripe.sync.drift import check_drift
from django_stripe.testing import factories

from .seeding import call, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirrored(stripe_fake):
    """A catalogue, customers and subscribers at the fake, backfilled into the mirror."""
    seeded = seed(stripe_fake, products=2, customers=4, subscribers=2)
    backfill()
    return seeded


def check(*types: str) -> tuple[int, list[str]]:
    out = StringIO()
    try:
        call_command("stripe_sync", "--check", *types, "--no-progress", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue().splitlines() + [str(error)]
    return 0, out.getvalue().splitlines()


def table(lines: list[str]) -> dict[str, list[str]]:
    start = next(n for n, line in enumerate(lines) if line.startswith("type "))
    return {line.split()[0]: line.split()[1:] for line in lines[start + 2 :] if line and not line[0].isupper()}


def test_a_backfilled_mirror_has_no_difference(mirrored):
    code, lines = check()
    assert code == 0
    rows = table(lines)
    assert list(rows) == [
        "billing_meters",
        "products",
        "prices",
        "customers",
        "payment_methods",
        "subscriptions",
        "subscription_schedules",
        "invoices",
        "entitlements",
    ]
    assert rows["customers"] == ["4", "0", "0", "0", "0", "0", "ok"]
    assert rows["subscriptions"][0] == "2" and all(row[-1] == "ok" for row in rows.values())


def test_what_differs_is_printed_object_by_object_and_exits_1(stripe_fake, mirrored):
    first, second = mirrored["customers"][:2]
    call(stripe_fake, "POST", f"/v1/customers/{first}", email="moved@example.com")  # no webhook reaches the mirror
    call(stripe_fake, "POST", f"/v1/products/{mirrored['products'][1]}", active="false")
    new = call(stripe_fake, "POST", "/v1/customers", email="new@example.com")["id"]
    call(stripe_fake, "DELETE", f"/v1/customers/{second}")
    models.Customer.objects.filter(pk=mirrored["customers"][2]).update(name="Typed in the database")
    stray = factories.ProductFactory()  # never at Stripe

    code, lines = check("customers", "products")

    assert code == 1
    assert f"customers {first}: email: mirror 'c0@example.com', Stripe 'moved@example.com'" in lines
    assert f"customers {new}: missing in the mirror" in lines
    assert f"customers {second}: missing at Stripe" in lines
    assert f"customers {mirrored['customers'][2]}: name: mirror 'Typed in the database', Stripe 'Customer 2'" in lines
    product_line = next(line for line in lines if line.startswith(f"products {mirrored['products'][1]}: "))
    assert "active: mirror True, Stripe False" in product_line
    assert f"products {stray.id}: missing at Stripe" in lines
    rows = table(lines)
    assert rows["customers"] == ["4", "1", "1", "0", "2", "0", "DIFFERS"]
    assert rows["products"][-1] == "DIFFERS"
    assert lines[-1].startswith("6 object(s) differ between the mirror and Stripe.")


def test_a_detached_payment_method_is_missing_at_stripe(stripe_fake, mirrored):
    payment_method = models.PaymentMethod.objects.filter(deleted=False, customer__isnull=False).first()
    call(stripe_fake, "POST", f"/v1/payment_methods/{payment_method.id}/detach")

    code, lines = check("payment_methods")

    assert code == 1 and f"payment_methods {payment_method.id}: missing at Stripe" in lines


def test_a_tombstone_of_an_object_stripe_still_lists_is_reported(mirrored):
    models.Product.objects.filter(pk=mirrored["products"][0]).update(deleted=True)
    code, lines = check("products")
    assert code == 1 and f"products {mirrored['products'][0]}: deleted in the mirror" in lines


def test_fields_stripe_moves_without_an_event_are_not_drift(stripe_fake, mirrored):
    customer = mirrored["customers"][0]
    row = models.Customer.objects.get(pk=customer)
    models.Customer.objects.filter(pk=customer).update(
        stripe_data={**row.stripe_data, "next_invoice_sequence": row.stripe_data.get("next_invoice_sequence", 1) + 5}
    )
    assert check("customers")[0] == 0


def test_a_row_newer_than_the_page_is_not_compared(stripe_fake, mirrored):
    customer = mirrored["customers"][0]
    models.Customer.objects.filter(pk=customer).update(
        email="later@example.com", synced_at=timezone.now() + timedelta(days=1)
    )
    [result] = check_drift(["customers"])
    assert result.differences == [] and result.newer_in_mirror == 1


def test_the_check_writes_nothing(stripe_fake, mirrored):
    call(stripe_fake, "POST", "/v1/customers", email="new@example.com")
    cursors = list(models.SyncCursor.objects.values())
    with CaptureQueriesContext(connection) as queries:
        check()
    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert list(models.SyncCursor.objects.values()) == cursors
    assert models.Customer.objects.count() == 4


def test_check_goes_with_neither_restart_nor_catch_up(stripe_fake):
    for option in ("--restart", "--catch-up"):
        with pytest.raises(CommandError, match="--check writes nothing"):
            call_command("stripe_sync", "--check", option)


def test_a_refused_key_stops_the_check_with_one_line(stripe_fake, settings):
    settings.STRIPE_SECRET_KEY = "sk_bad_key"
    with pytest.raises(CommandError, match="Stripe refused the API key"):
        call_command("stripe_sync", "--check", "products", "--no-progress")


def test_a_mirror_kept_by_webhooks_through_a_subscriptions_life_has_no_difference(synced_fake):
    from tests.webhooks.lifecycle import run_subscription_lifecycle

    run_subscription_lifecycle(synced_fake)  # invoices number themselves from the customer: no event says so

    code, lines = check()
    assert code == 0, lines
