"""The guarded upsert: ordering, tombstones, subscription items, entitlement sets (SQLite or PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest

from django_stripe.client import get_client
from django_stripe.models import ActiveEntitlement, Customer, Invoice, Product, Subscription, SubscriptionItem
from django_stripe.payments import mirror_stripe_object
from django_stripe.signals import customer_subscriptions_changed
from django_stripe.sync.entitlements import replace_entitlements, replace_entitlements_from_stripe
from django_stripe.sync.sql import insert_ignore
from django_stripe.sync.upsert import Outcome, upsert, upsert_from_stripe
from django_stripe.testing.factories import (
    ActiveEntitlementPayloadFactory,
    CustomerPayloadFactory,
    InvoicePayloadFactory,
    PricePayloadFactory,
    ProductPayloadFactory,
    SubscriptionItemPayloadFactory,
    SubscriptionPayloadFactory,
)

from .seeding import subscribed_to_three_prices, with_items_cut

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_newer_state_moves_the_row_forward_and_older_changes_nothing():
    product = ProductPayloadFactory(name="Old")
    assert upsert(Product, product, at(10)) is Outcome.CREATED
    assert upsert(Product, {**product, "name": "New"}, at(20)) is Outcome.UPDATED
    assert upsert(Product, {**product, "name": "Stale"}, at(15)) is Outcome.STALE
    row = Product.objects.get()
    assert (row.name, row.synced_at, row.stripe_data["name"]) == ("New", at(20), "New")


def test_same_state_in_the_same_second_is_unchanged_without_asking_stripe():
    # No STRIPE_SECRET_KEY in the test settings: a fetch would raise, so none happened.
    customer = CustomerPayloadFactory()
    upsert(Customer, customer, at(5))
    assert upsert(Customer, dict(customer), at(5)) is Outcome.UNCHANGED


def test_same_state_seen_later_is_unchanged_but_restamped_so_an_older_state_is_stale():
    product = ProductPayloadFactory(name="Current")
    upsert(Product, product, at(10))
    assert upsert(Product, dict(product), at(20)) is Outcome.UNCHANGED
    assert upsert(Product, {**product, "name": "Older"}, at(15)) is Outcome.STALE
    row = Product.objects.get()
    assert (row.name, row.synced_at) == ("Current", at(20))


def test_deletion_leaves_a_tombstone_that_a_late_update_cannot_resurrect():
    customer = CustomerPayloadFactory(email="a@example.com")
    upsert(Customer, customer, at(10))
    assert upsert(Customer, customer, at(20), deleted=True) is Outcome.UPDATED
    assert upsert(Customer, {**customer, "email": "b@example.com"}, at(30)) is Outcome.STALE
    row = Customer.objects.get()
    assert row.deleted and row.email == "a@example.com" and row.synced_at == at(20)
    assert not Customer.objects.live().exists()


def test_deletion_arriving_first_still_wins_over_earlier_updates():
    product = ProductPayloadFactory()
    upsert(Product, product, at(20), deleted=True)
    assert upsert(Product, {**product, "name": "Renamed"}, at(10)) is Outcome.STALE
    assert Product.objects.get().deleted


def test_deletion_stamped_before_the_last_update_flips_the_flag_and_keeps_the_newer_data():
    product = ProductPayloadFactory(name="Old")
    upsert(Product, {**product, "name": "Newest"}, at(20))
    assert upsert(Product, product, at(19), deleted=True) is Outcome.UPDATED
    row = Product.objects.get()
    assert row.deleted and row.name == "Newest" and row.synced_at == at(20)


def test_fresh_payload_wins_a_same_second_tie():
    product = ProductPayloadFactory(name="Event")
    upsert(Product, product, at(5))
    assert upsert(Product, {**product, "name": "Fetched"}, at(5), fresh=True) is Outcome.UPDATED
    assert Product.objects.get().name == "Fetched"


def two_items_subscription(**kwargs):
    subscription = SubscriptionPayloadFactory(**kwargs)
    extra = SubscriptionItemPayloadFactory(subscription=subscription["id"], price=PricePayloadFactory(product="prod_x"))
    subscription["items"]["data"].append(extra)
    return subscription


def test_subscription_upsert_writes_its_items_and_tombstones_removed_ones():
    subscription = two_items_subscription(customer="cus_items")
    first, second = subscription["items"]["data"]
    upsert(Subscription, subscription, at(10))
    assert set(SubscriptionItem.objects.live().values_list("id", flat=True)) == {first["id"], second["id"]}

    swapped = {**subscription, "items": {**subscription["items"], "data": [first]}}
    assert upsert(Subscription, swapped, at(20)) is Outcome.UPDATED
    assert list(SubscriptionItem.objects.live().values_list("id", flat=True)) == [first["id"]]
    removed = SubscriptionItem.objects.get(id=second["id"])
    assert removed.deleted and removed.synced_at == at(20)

    # The older state with both items is stale: the removed item stays removed.
    assert upsert(Subscription, subscription, at(15)) is Outcome.STALE
    assert SubscriptionItem.objects.get(id=second["id"]).deleted


def test_item_period_and_product_come_from_the_current_api_shape():
    subscription = SubscriptionPayloadFactory(
        price=PricePayloadFactory(product="prod_gold"), period_start=1_767_225_600, period_end=1_769_904_000
    )
    upsert(Subscription, subscription, at(1))
    item = SubscriptionItem.objects.get()
    row = Subscription.objects.get()
    assert item.product_id == "prod_gold" and item.subscription_id == subscription["id"]
    assert row.current_period_end == item.current_period_end == datetime.fromtimestamp(1_769_904_000, tz=UTC)


def test_a_canceled_subscription_is_a_tombstone_with_its_status_and_items_ended():
    subscription = SubscriptionPayloadFactory(status="active")
    upsert(Subscription, subscription, at(10))
    assert upsert(Subscription, {**subscription, "status": "canceled"}, at(30), deleted=True) is Outcome.UPDATED
    assert upsert(Subscription, {**subscription, "status": "active"}, at(40)) is Outcome.STALE
    row = Subscription.objects.get()
    assert row.deleted and row.status == "canceled"
    assert not SubscriptionItem.objects.live().exists()


def test_subscription_changes_signal_the_customer_after_commit(django_capture_on_commit_callbacks):
    received = []

    def listener(sender, customer_id, **kwargs):
        received.append(customer_id)

    customer_subscriptions_changed.connect(listener)
    try:
        subscription = SubscriptionPayloadFactory(customer="cus_signal")
        with django_capture_on_commit_callbacks(execute=True):
            upsert(Subscription, subscription, at(1))
            upsert(Subscription, subscription, at(0))  # stale: no signal
            assert received == []
        assert received == ["cus_signal"]
    finally:
        customer_subscriptions_changed.disconnect(listener)


def test_invoice_of_the_old_api_shape_links_its_subscription():
    invoice = {**InvoicePayloadFactory(parent=None), "subscription": "sub_legacy"}
    upsert(Invoice, invoice, at(1))
    assert Invoice.objects.get().subscription_id == "sub_legacy"


def test_entitlement_summary_replaces_the_customers_set():
    a, b, c = (ActiveEntitlementPayloadFactory() for _ in range(3))
    assert replace_entitlements("cus_ent", [a, b], at(10)) is Outcome.CREATED
    assert replace_entitlements("cus_ent", [b, c], at(20)) is Outcome.UPDATED
    live = ActiveEntitlement.objects.live().filter(customer_id="cus_ent")
    assert set(live.values_list("id", flat=True)) == {b["id"], c["id"]}
    assert replace_entitlements("cus_ent", [a], at(15)) is Outcome.STALE
    assert replace_entitlements("cus_ent", [c, b], at(20)) is Outcome.UNCHANGED
    assert replace_entitlements("cus_ent", [], at(30)) is Outcome.UPDATED
    assert not ActiveEntitlement.objects.live().exists()


@pytest.mark.parametrize("first_rows", [[], ["a"]])
def test_an_empty_summary_is_not_undone_by_an_older_one(first_rows):
    a = ActiveEntitlementPayloadFactory()
    if first_rows:
        replace_entitlements("cus_empty", [a], at(5))
    replace_entitlements("cus_empty", [], at(30))  # e.g. the subscription ended
    replace_entitlements("cus_empty", [], at(40))  # and a repeated empty summary
    assert replace_entitlements("cus_empty", [a], at(20)) is Outcome.STALE  # delivered late
    assert not ActiveEntitlement.objects.live().filter(customer_id="cus_empty").exists()


def test_insert_ignore_reports_whether_it_inserted():
    product = ProductPayloadFactory()
    assert insert_ignore(Product(id=product["id"], name="first")) is True
    assert insert_ignore(Product(id=product["id"], name="second")) is False
    assert Product.objects.get().name == "first"


def test_a_same_second_tie_is_settled_by_one_fetch_from_stripe(stripe_fake):
    client = get_client().v1
    product = client.products.create({"name": "First"})
    first = product.to_dict(for_json=True)
    client.products.update(product.id, {"name": "Second"})
    client.products.update(product.id, {"name": "Current"})
    second = {**first, "name": "Second"}
    upsert(Product, first, at(5))
    assert upsert(Product, second, at(5)) is Outcome.UPDATED
    row = Product.objects.get()
    assert row.name == "Current" and row.stripe_data == stripe_fake.get(product.id)
    assert row.synced_at >= at(5)


def test_a_tie_with_an_object_gone_at_stripe_leaves_a_tombstone(stripe_fake):
    client = get_client().v1
    product = client.products.create({"name": "Doomed"})
    payload = product.to_dict(for_json=True)
    client.products.delete(product.id)
    upsert(Product, payload, at(5))
    assert upsert(Product, {**payload, "name": "Renamed"}, at(5)) is Outcome.UPDATED
    assert Product.objects.get().deleted


def test_items_a_subscription_event_did_not_embed_are_listed_from_stripe(stripe_fake):
    subscription = subscribed_to_three_prices(stripe_fake)
    first = subscription["items"]["data"][0]
    upsert(Subscription, {**subscription, "items": {**subscription["items"], "data": [first]}}, at(10))
    SubscriptionItem.objects.create(id="si_removed_meanwhile", subscription_id=subscription["id"], synced_at=at(10))

    assert upsert(Subscription, with_items_cut(subscription), at(20)) is Outcome.UPDATED

    live = set(SubscriptionItem.objects.live().values_list("id", flat=True))
    assert live == {item["id"] for item in subscription["items"]["data"]}
    assert SubscriptionItem.objects.get(pk="si_removed_meanwhile").deleted  # the full list says it is gone


def test_items_of_a_cut_subscription_gone_at_stripe_are_kept_as_they_are(stripe_fake):
    subscription = SubscriptionPayloadFactory(customer="cus_gone")  # never existed at the fake: listing is a 404
    SubscriptionItem.objects.create(id="si_unknown", subscription_id=subscription["id"], synced_at=at(1))

    upsert(Subscription, {**subscription, "items": {**subscription["items"], "has_more": True}}, at(10))

    assert set(SubscriptionItem.objects.live().values_list("id", flat=True)) == {
        "si_unknown",
        subscription["items"]["data"][0]["id"],
    }


def test_a_delete_answered_with_a_stub_only_sets_the_tombstone(stripe_fake):
    client = get_client().v1
    customer = client.customers.create({"email": "leaving@example.com", "name": "Leaving"})
    upsert(Customer, customer.to_dict(for_json=True), at(10))

    mirror_stripe_object(client.customers.delete(customer.id))  # Stripe answers {id, object, deleted: true}

    row = Customer.objects.get()
    assert row.deleted
    assert (row.email, row.name, row.stripe_data["email"]) == ("leaving@example.com", "Leaving", "leaving@example.com")


def test_a_stub_tombstone_of_an_object_never_mirrored_is_filled_in_by_its_deleted_event(stripe_fake):
    stub = {"id": "cus_stub", "object": "customer", "deleted": True}
    assert upsert(Customer, stub, at(10), deleted=True, fresh=True) is Outcome.CREATED
    full = CustomerPayloadFactory(id="cus_stub", email="gone@example.com")

    assert upsert(Customer, full, at(9), deleted=True) is Outcome.UPDATED

    row = Customer.objects.get()
    assert (row.deleted, row.email, row.synced_at) == (True, "gone@example.com", at(10))
    assert upsert(Customer, {**full, "email": "late@example.com"}, at(11)) is Outcome.STALE


def test_an_object_missing_at_stripe_and_not_mirrored_yet_leaves_a_tombstone(stripe_fake):
    assert upsert_from_stripe(Subscription, "sub_never_seen", at(10)) is Outcome.CREATED

    late = SubscriptionPayloadFactory(id="sub_never_seen", status="active")
    assert upsert(Subscription, late, at(5)) is Outcome.UPDATED  # fills the empty tombstone in, still deleted
    row = Subscription.objects.get()
    assert row.deleted and row.status == "active"
    assert not Subscription.objects.live().exists()
    assert not SubscriptionItem.objects.live().exists()


def test_a_tie_is_settled_through_rate_limits_and_server_errors(stripe_fake, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # the 500 reaches the sync: only its own backoff retries it
    client = get_client().v1
    product = client.products.create({"name": "First"}).to_dict(for_json=True)
    client.products.update(product["id"], {"name": "Current"})
    upsert(Product, product, at(5))
    stripe_fake.fail_next(1, status=429)
    stripe_fake.fail_next(1, status=500)

    assert upsert(Product, {**product, "name": "Second"}, at(5)) is Outcome.UPDATED

    assert Product.objects.get().name == "Current"


def test_entitlements_are_listed_through_rate_limits(stripe_fake):
    from .seeding import call

    product = call(stripe_fake, "POST", "/v1/products", name="Gold")
    stripe_fake.add_product_feature(product["id"], "exports")
    price = call(stripe_fake, "POST", "/v1/prices", product=product["id"], currency="usd", unit_amount=100,
                 **{"recurring[interval]": "month"})  # fmt: skip
    customer = call(stripe_fake, "POST", "/v1/customers", email="gold@example.com")
    call(stripe_fake, "POST", "/v1/subscriptions", customer=customer["id"], default_payment_method="pm_card_visa",
         **{"items[0][price]": price["id"]})  # fmt: skip
    stripe_fake.fail_next(2, status=429)

    assert replace_entitlements_from_stripe(customer["id"], at(5)) is Outcome.CREATED

    assert list(ActiveEntitlement.objects.live().values_list("lookup_key", flat=True)) == ["exports"]
