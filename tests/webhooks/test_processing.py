"""Processing stored events: handlers, status and errors, replays, signals, the query budget."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from django_stripe.client import get_client
from django_stripe.models import (
    ActiveEntitlement,
    Customer,
    Invoice,
    PaymentMethod,
    Subscription,
    SubscriptionItem,
    WebhookEvent,
)
from django_stripe.references import CHECKOUT_USER_KEY
from django_stripe.signals import webhook_event_processed
from django_stripe.tasks import sweep_webhook_events
from django_stripe.testing.factories import (
    ActiveEntitlementPayloadFactory,
    CustomerPayloadFactory,
    InvoicePayloadFactory,
    PaymentMethodPayloadFactory,
    SubscriptionPayloadFactory,
)
from django_stripe.webhooks import webhook_handler
from django_stripe.webhooks.processing import process_event
from django_stripe.webhooks.registry import unregister

from .events import stored

pytestmark = pytest.mark.django_db

MAX_QUERIES_PER_EVENT = 6
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL statements run, without BEGIN / COMMIT (Django logs those too)."""
    return [query["sql"] for query in queries if not query["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.fixture
def handler():
    """Register a project handler for the test only."""
    registered = []

    def register(*patterns):
        def decorate(function):
            registered.append(webhook_handler(*patterns)(function))
            return function

        return decorate

    yield register
    for function in registered:
        unregister(function)


def test_a_project_handler_runs_for_its_event_type(handler):
    seen = []

    @handler("invoice.paid")
    def thank_customer(event):
        seen.append(event.payload["data"]["object"]["id"])

    invoice = InvoicePayloadFactory()
    event = stored("invoice.paid", invoice)
    assert process_event(event.id) == "processed"
    assert seen == [invoice["id"]]
    assert Invoice.objects.filter(id=invoice["id"]).exists()  # the built-in sync ran too


def test_a_project_handler_makes_an_unknown_type_processed(handler):
    @handler("radar.*")
    def review(event):
        pass

    assert process_event(stored("radar.early_fraud_warning.created", {"id": "issfr_1"}).id) == "processed"
    assert process_event(stored("quote.created", {"id": "qt_1"}).id) == "ignored"


def test_a_failure_is_kept_on_the_event_rolled_back_and_replayable(handler):
    broken = True

    @handler("customer.created")
    def flaky(event):
        if broken:
            raise RuntimeError("downstream unavailable")

    customer = CustomerPayloadFactory()
    event = stored("customer.created", customer)
    assert process_event(event.id) == "failed"
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 1)
    assert event.error == "RuntimeError: downstream unavailable"
    assert "Traceback" in event.traceback and "flaky" in event.traceback
    assert not Customer.objects.exists()  # the sync of the failed attempt was rolled back

    broken = False
    call_command("stripe_process_events", "--failed")
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error, event.traceback) == ("processed", 2, "", "")
    assert Customer.objects.filter(id=customer["id"]).exists()


def test_a_processed_event_is_not_applied_again_unless_replayed(handler):
    calls = []

    @handler("customer.updated")
    def count(event):
        calls.append(event.id)

    event = stored("customer.updated", CustomerPayloadFactory())
    process_event(event.id)
    assert process_event(event.id) == "processed"
    assert len(calls) == 1
    call_command("stripe_process_events", "--ids", event.id)
    assert len(calls) == 2
    assert WebhookEvent.objects.get().attempts == 2


def test_replay_command_selects_by_type_and_date():
    old = stored("customer.updated", CustomerPayloadFactory(), created=1_700_000_000)
    new = stored("customer.updated", CustomerPayloadFactory(), created=1_767_225_600)
    invoice = stored("invoice.paid", InvoicePayloadFactory(), created=1_767_225_600)
    call_command("stripe_process_events", "--type", "customer.*", "--since", "2025-06-01")
    statuses = dict(WebhookEvent.objects.values_list("id", "status"))
    assert statuses == {old.id: "pending", new.id: "processed", invoice.id: "pending"}
    call_command("stripe_process_events")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    with pytest.raises(CommandError, match="--since"):
        call_command("stripe_process_events", "--since", "yesterday")


def test_processed_signal_is_sent_after_commit(django_capture_on_commit_callbacks):
    received = []

    def listener(sender, event, **kwargs):
        received.append((event.id, event.status))

    webhook_event_processed.connect(listener)
    try:
        event = stored("customer.created", CustomerPayloadFactory())
        with django_capture_on_commit_callbacks(execute=True):
            process_event(event.id)
        assert received == [(event.id, "processed")]
    finally:
        webhook_event_processed.disconnect(listener)


def test_subscription_event_created_then_deleted():
    subscription = SubscriptionPayloadFactory(customer="cus_life")
    process_event(stored("customer.subscription.created", subscription, created=100).id)
    ended = {**subscription, "status": "canceled", "ended_at": 300}
    process_event(stored("customer.subscription.deleted", ended, created=300).id)
    process_event(stored("customer.subscription.updated", {**subscription, "status": "past_due"}, created=200).id)
    row = Subscription.objects.get()
    assert (row.status, row.deleted, row.synced_at) == ("canceled", True, datetime.fromtimestamp(300, tz=UTC))


def test_detached_payment_method_loses_its_customer():
    method = PaymentMethodPayloadFactory(customer="cus_pm")
    process_event(stored("payment_method.attached", method, created=100).id)
    process_event(stored("payment_method.detached", {**method, "customer": None}, created=200).id)
    row = PaymentMethod.objects.get()
    assert row.customer_id is None and not row.deleted


def test_customer_deleted_leaves_a_tombstone():
    customer = CustomerPayloadFactory()
    process_event(stored("customer.deleted", customer, created=200).id)
    process_event(stored("customer.updated", customer, created=100).id)
    assert Customer.objects.get().deleted


def test_checkout_completed_links_the_customer_to_a_user_without_one():
    user_model = get_user_model()
    buyer = user_model.objects.create(username="buyer")
    other = user_model.objects.create(username="other", stripe_customer_id="cus_already")
    subscription = SubscriptionPayloadFactory(customer="cus_new")
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "customer": "cus_new",
        "client_reference_id": str(buyer.pk),
        "metadata": {CHECKOUT_USER_KEY: str(buyer.pk)},  # made by payments.create_checkout
        "subscription": subscription,
    }
    assert process_event(stored("checkout.session.completed", session).id) == "processed"
    buyer.refresh_from_db()
    assert buyer.stripe_customer_id == "cus_new"
    assert Subscription.objects.get().customer_id == "cus_new"

    # A user who has a customer keeps it; an id that is not a user is ignored.
    for n, reference in enumerate((str(other.pk), "not-a-pk", "999999")):
        again = {**session, "client_reference_id": reference, "metadata": {CHECKOUT_USER_KEY: reference}}
        process_event(stored("checkout.session.completed", again, event_id=f"evt_checkout_{n}").id)
    other.refresh_from_db()
    assert other.stripe_customer_id == "cus_already"


def test_entitlement_summary_event_replaces_the_set():
    first, second = ActiveEntitlementPayloadFactory(), ActiveEntitlementPayloadFactory()
    summary = {
        "object": "entitlements.active_entitlement_summary",
        "customer": "cus_ent",
        "entitlements": {"object": "list", "data": [first, second], "has_more": False},
        "livemode": False,
    }
    process_event(stored("entitlements.active_entitlement_summary.updated", summary, created=100).id)
    later = {**summary, "entitlements": {**summary["entitlements"], "data": [second]}}
    process_event(stored("entitlements.active_entitlement_summary.updated", later, created=200).id)
    assert list(ActiveEntitlement.objects.live().values_list("id", flat=True)) == [second["id"]]


def test_sweeper_enqueues_events_left_pending():
    event = stored("customer.created", CustomerPayloadFactory())
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert sweep_webhook_events(older_than_seconds=60) == 1  # eager Celery: processed at once
    assert WebhookEvent.objects.get().status == "processed"
    assert sweep_webhook_events(older_than_seconds=60) == 0


# Counted without the test's own wrapping transaction, whose savepoints a worker does not have.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["new", "update"])
def test_a_subscription_event_costs_at_most_six_queries(existing):
    subscription = SubscriptionPayloadFactory()
    if existing:
        process_event(stored("customer.subscription.created", subscription, created=100).id)
    event = stored("customer.subscription.updated", {**subscription, "status": "past_due"}, created=200)
    with CaptureQueriesContext(connection) as queries:
        assert process_event(event.id) == "processed"
    assert len(statements(queries)) <= MAX_QUERIES_PER_EVENT, statements(queries)
    assert Subscription.objects.get().status == "past_due"
    assert SubscriptionItem.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("event_type", "make"),
    [
        ("invoice.paid", InvoicePayloadFactory),
        ("customer.updated", CustomerPayloadFactory),
        ("payment_method.attached", PaymentMethodPayloadFactory),
    ],
)
def test_other_events_stay_within_the_query_budget(event_type, make):
    event = stored(event_type, make())
    with CaptureQueriesContext(connection) as queries:
        assert process_event(event.id) == "processed"
    assert len(statements(queries)) <= MAX_QUERIES_PER_EVENT, statements(queries)


def test_an_entitlement_summary_stripe_cut_short_is_replaced_by_the_whole_set_from_stripe(stripe_fake):
    customer_id, granted = customer_entitled_to(stripe_fake, "exports", "reports")
    revoked = ActiveEntitlementPayloadFactory()
    summary = entitlement_summary(customer_id, [revoked])
    process_event(stored("entitlements.active_entitlement_summary.updated", summary, created=100).id)
    first_only = entitlement_summary(customer_id, [stripe_fake.get(granted[0])], has_more=True)

    event = stored("entitlements.active_entitlement_summary.updated", first_only, created=200)
    assert process_event(event.id) == "processed"

    live = ActiveEntitlement.objects.live().filter(customer_id=customer_id)
    assert set(live.values_list("id", flat=True)) == set(granted)  # the one left out too; the revoked one gone
    assert set(live.values_list("lookup_key", flat=True)) == {"exports", "reports"}


def customer_entitled_to(fake, *lookup_keys: str) -> tuple[str, list[str]]:
    """A customer subscribed to a product with these features at the fake; their active entitlement ids."""
    client = get_client().v1
    product = client.products.create({"name": "Gold"})
    for lookup_key in lookup_keys:
        fake.add_product_feature(product.id, lookup_key)
    price = client.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}}
    )
    customer = client.customers.create({"email": "gold@example.com"})
    client.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    return customer.id, list(fake.entitlement_summaries[customer.id])


def entitlement_summary(customer_id: str, entitlements: list[dict], has_more: bool = False) -> dict:
    return {
        "object": "entitlements.active_entitlement_summary",
        "customer": customer_id,
        "entitlements": {"object": "list", "data": entitlements, "has_more": has_more},
        "livemode": False,
    }


def needs_a_fetch():
    """An event whose processing reads from Stripe: a checkout session naming its subscription by id."""
    session = {"id": "cs_fetch", "object": "checkout.session", "customer": None, "subscription": "sub_elsewhere"}
    return stored("checkout.session.completed", session)


UNREACHABLE = {"STRIPE_HTTP_CLIENT": None, "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_MAX_NETWORK_RETRIES": 0}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STRIPE_SECRET_KEY": "sk_bad_key"}, "^Stripe refused the API key"),
        (UNREACHABLE, "^Stripe is unreachable at http://127.0.0.1:9"),  # the discard port: nothing listens
        ({"STRIPE_SECRET_KEY": ""}, "^STRIPE_SECRET_KEY is not set"),
    ],
    ids=["bad-key", "unreachable", "no-key"],
)
def test_replaying_with_a_bad_key_or_no_stripe_stops_with_one_line_and_spends_no_attempt(
    stripe_fake, settings, overrides, message
):
    first, second = needs_a_fetch(), stored("customer.created", CustomerPayloadFactory(), created=1_767_225_601)
    for name, value in overrides.items():
        setattr(settings, name, value)

    with pytest.raises(CommandError, match=message) as error:
        call_command("stripe_process_events")

    assert "\n" not in str(error.value)
    statuses = dict(WebhookEvent.objects.values_list("id", "status"))
    assert statuses == {first.id: "pending", second.id: "pending"}  # stopped at the first: nothing recorded
    assert set(WebhookEvent.objects.values_list("attempts", "error")) == {(0, "")}


def test_a_key_refused_one_resource_fails_only_the_events_that_need_it(stripe_fake):
    first, second = needs_a_fetch(), stored("customer.created", CustomerPayloadFactory(), created=1_767_225_601)
    stripe_fake.fail_next(1, status=403)  # Stripe's answer to a restricted key without this resource

    with pytest.raises(CommandError, match=r"^1 event\(s\) failed"):
        call_command("stripe_process_events")

    first.refresh_from_db()
    assert (first.status, first.attempts) == ("failed", 1)
    assert first.error.startswith("PermissionError: ")
    assert WebhookEvent.objects.get(pk=second.pk).status == "processed"  # the run went on


# A trigger refusing to mark an event failed: the database failing just as a failure is recorded.
REFUSE_FAILED_STATUS = {
    "sqlite": [
        "CREATE TRIGGER refuse_failed_status BEFORE UPDATE ON django_stripe_webhook_event "
        "WHEN NEW.status = 'failed' BEGIN SELECT RAISE(ABORT, 'failure not recorded'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_failed_status() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'failure not recorded'; END $$",
        "CREATE TRIGGER refuse_failed_status BEFORE UPDATE ON django_stripe_webhook_event "
        "FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION refuse_failed_status()",
    ],
}


def test_an_error_recording_a_failure_comes_out_of_the_replay_as_itself(handler):
    @handler("customer.created")
    def broken(event):
        raise RuntimeError("downstream unavailable")

    stored("customer.created", CustomerPayloadFactory())
    with connection.cursor() as cursor:  # dropped with the test's transaction
        for statement in REFUSE_FAILED_STATUS[connection.vendor]:
            cursor.execute(statement)

    with pytest.raises(DatabaseError, match="failure not recorded"):
        call_command("stripe_process_events")
