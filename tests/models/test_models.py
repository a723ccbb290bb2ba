from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from django_stripe import models
from django_stripe.testing import factories
from django_stripe.testing.fixtures import stripe_fixture

pytestmark = pytest.mark.django_db


def test_every_mirrored_model_has_the_stripe_object_columns():
    for model in models.MIRRORED_MODELS:
        names = {field.name for field in model._meta.get_fields()}
        assert {"id", "livemode", "created", "metadata", "stripe_data", "synced_at", "deleted"} <= names
        assert model._meta.pk.name == "id"


def test_relations_have_no_database_constraint():
    for model in models.MIRRORED_MODELS:
        for field in model._meta.get_fields():
            if field.many_to_one:
                assert field.db_constraint is False, f"{model.__name__}.{field.name}"


def test_subscription_can_arrive_before_its_customer_and_price():
    subscription = factories.SubscriptionFactory(payload__customer="cus_not_yet")
    subscription.refresh_from_db()
    assert subscription.customer_id == "cus_not_yet"
    assert not models.Customer.objects.filter(id="cus_not_yet").exists()
    item = subscription.items.get()
    assert item.price_id == subscription.stripe_data["items"]["data"][0]["price"]["id"]


def test_subscription_factory_mirrors_current_api_shape():
    price = factories.PricePayloadFactory(product="prod_gold")
    subscription = factories.SubscriptionFactory(
        payload__price=price, payload__period_start=1_700_000_000, payload__period_end=1_702_592_000
    )
    assert subscription.current_period_end == datetime.fromtimestamp(1_702_592_000, tz=UTC)
    item = subscription.items.get()
    assert (item.product_id, item.price_id) == ("prod_gold", price["id"])
    assert models.Subscription.objects.filter(items__product_id="prod_gold").get() == subscription


def test_invoice_subscription_from_parent():
    invoice = factories.InvoiceFactory(payload__subscription="sub_1")
    assert invoice.subscription_id == "sub_1"
    assert invoice.stripe_data["parent"]["subscription_details"]["subscription"] == "sub_1"


def test_payloads_have_every_key_of_stripes_fixture():
    for payload_factory in (
        factories.ProductPayloadFactory,
        factories.PricePayloadFactory,
        factories.CustomerPayloadFactory,
        factories.PaymentMethodPayloadFactory,
        factories.SubscriptionPayloadFactory,
        factories.InvoicePayloadFactory,
        factories.ActiveEntitlementPayloadFactory,
    ):
        payload = payload_factory()
        assert set(stripe_fixture(payload["object"])) <= set(payload), payload["object"]


def test_live_excludes_tombstones():
    kept = factories.ProductFactory()
    factories.ProductFactory(deleted=True)
    assert list(models.Product.objects.live()) == [kept]


def test_subscriptions_listed_by_stripes_status_rule():
    def subscription(status):
        deleted = status in models.billing.ENDED_STATUSES  # what the sync does with an ended subscription
        return factories.SubscriptionFactory(payload__status=status, deleted=deleted).id

    active, expired, cancelled = subscription("active"), subscription("incomplete_expired"), subscription("canceled")

    def listed(status=None):
        return set(models.Subscription.objects.with_status(status).values_list("id", flat=True))

    assert listed() == {active, expired}
    assert listed("all") == {active, expired, cancelled}
    assert listed("canceled") == {cancelled}


def test_stripe_customer_id_is_unique_and_optional():
    User = get_user_model()
    User.objects.create(username="a")
    User.objects.create(username="b")  # two users without a customer are fine
    User.objects.create(username="c", stripe_customer_id="cus_1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="d", stripe_customer_id="cus_1")


def test_no_secret_column_exists():
    for model in (*models.MIRRORED_MODELS, models.WebhookEvent, models.SyncCursor):
        for field in model._meta.get_fields():
            assert "secret" not in field.name and "api_key" not in field.name


@pytest.mark.postgres
def test_filtered_columns_are_indexed_on_postgres():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'django_stripe_subscription'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "(customer_id, status)" in definitions
    assert "(current_period_end)" in definitions


def test_subscription_status_helpers():
    now = int(datetime.now(tz=UTC).timestamp())
    trial = factories.SubscriptionFactory(payload__status="trialing", payload__trial_end=now + 3600)
    assert trial.on_trial and not trial.ended and not trial.on_grace_period
    grace = factories.SubscriptionFactory(payload__cancel_at_period_end=True, payload__period_end=now + 3600)
    assert grace.on_grace_period and not grace.ended
    due = factories.SubscriptionFactory(payload__status="past_due")
    assert due.past_due and due.has_incomplete_payment
    incomplete = factories.SubscriptionFactory(payload__status="incomplete")
    assert incomplete.has_incomplete_payment and not incomplete.past_due
    ended = factories.SubscriptionFactory(payload__status="canceled", payload__cancel_at=now - 10)
    assert ended.ended and not ended.on_grace_period
