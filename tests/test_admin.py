import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_stripe import admin as admin_module
from django_stripe import models, payments
from django_stripe.admin import admin_url
from django_stripe.client import get_client
from django_stripe.testing import factories
from tests.webhooks.events import stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        *models.MIRRORED_MODELS,
        models.WebhookEvent,
        models.SyncCursor,
        models.EntitlementSummary,
        models.TrialReservation,
        models.OpenCheckout,
        models.MeterUsageSummary,
    ],
)
def test_changelist_renders_and_is_read_only(admin_client, model):
    url = reverse(f"admin:django_stripe_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    add = reverse(f"admin:django_stripe_{model._meta.model_name}_add")
    assert admin_client.get(add).status_code == 403


def test_customer_search_by_email(admin_client):
    factories.CustomerFactory(payload__email="findme@example.com")
    factories.CustomerFactory(payload__email="other@example.com")
    url = reverse("admin:django_stripe_customer_changelist")
    response = admin_client.get(url, {"q": "findme"})
    assert b"findme@example.com" in response.content
    assert b"other@example.com" not in response.content


# Actions and links, through the admin's real views.

MIRROR_ADMINS = [
    models.Product,
    models.Price,
    models.Customer,
    models.Subscription,
    models.Invoice,
    models.PaymentMethod,
]


def changelist(model):
    return reverse(f"admin:django_stripe_{model._meta.model_name}_changelist")


def run_action(admin_client, model, action, ids):
    """POST the changelist's action form, as the admin's "Go" button does; the page it lands on, and its messages."""
    response = admin_client.post(changelist(model), {"action": action, "_selected_action": list(ids)}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == changelist(model)
    return response, [(message.level_tag, str(message)) for message in response.context["messages"]]


def subscribe(user, catalogue):
    card = (
        get_client()
        .v1.setup_intents.confirm(payments.create_setup_intent(user).id, params={"payment_method": "pm_card_visa"})
        .payment_method
    )
    return payments.create_subscription(user, catalogue["monthly"], default_payment_method=card)


@pytest.mark.parametrize("model", MIRROR_ADMINS)
def test_mirrored_objects_offer_refresh_and_events_offer_replay(admin_client, model):
    getattr(factories, f"{model.__name__}Factory")()  # an empty list shows no actions
    stored("customer.created", factories.CustomerPayloadFactory())
    assert b'value="refresh_from_stripe"' in admin_client.get(changelist(model)).content
    events = admin_client.get(changelist(models.WebhookEvent)).content
    assert b'value="replay_events"' in events
    assert b'value="refresh_from_stripe"' not in events


def test_replay_applies_the_selected_events_again(synced_fake, admin_client):
    customer = get_client().v1.customers.create(params={"email": "lost@example.com"})
    created = models.WebhookEvent.objects.get(type="customer.created")
    assert created.status == "processed"
    models.Customer.objects.filter(id=customer.id).delete()  # the mirror lost it
    failing = stored(
        "checkout.session.completed", {"id": "cs_1", "object": "checkout.session", "subscription": "sub_x"}
    )
    untouched = stored("customer.deleted", {**customer.to_dict(), "deleted": True}, created=1_767_225_601)
    synced_fake.fail_next(1, status=403)  # the checkout session's subscription cannot be read

    _, notes = run_action(admin_client, models.WebhookEvent, "replay_events", [created.id, failing.id])

    assert notes == [
        ("warning", "2 events replayed: 1 processed, 1 failed."),
        ("error", f"1 event failed, see the error on each: {failing.id}."),
    ]
    assert models.Customer.objects.get(id=customer.id).email == "lost@example.com"
    created.refresh_from_db()
    assert (created.status, created.attempts) == ("processed", 2)
    failing.refresh_from_db()
    assert (failing.status, failing.error.split(":")[0]) == ("failed", "PermissionError")
    assert models.WebhookEvent.objects.get(id=untouched.id).status == "pending"  # not selected: left alone

    synced_fake.fail_next(0)
    _, notes = run_action(admin_client, models.WebhookEvent, "replay_events", [failing.id])
    assert notes[0][0] == "success" and notes[0][1].startswith("1 event replayed: 1 ")
    assert models.WebhookEvent.objects.get(id=failing.id).status in ("processed", "ignored")


def test_replay_with_a_refused_key_stops_and_spends_no_attempt(stripe_fake, admin_client, settings):
    event = stored("checkout.session.completed", {"id": "cs_1", "object": "checkout.session", "subscription": "sub_x"})
    settings.STRIPE_SECRET_KEY = "sk_bad_key"

    _, notes = run_action(admin_client, models.WebhookEvent, "replay_events", [event.id])

    [(level, text)] = notes
    assert level == "error"
    assert text.startswith(f"Replay stopped, the event {event.id} and the ones after it were left as they were: ")
    assert "Stripe refused the API key" in text
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == ("pending", 0, "")


def test_refresh_reads_the_selected_objects_from_stripe(synced_fake, admin_client):
    client = get_client()
    changed = client.v1.customers.create(params={"email": "old@example.com"})
    gone = client.v1.customers.create(params={"email": "gone@example.com"})
    same = client.v1.customers.create(params={"email": "same@example.com"})
    other = client.v1.customers.create(params={"email": "other@example.com"})
    synced_fake.delivery_mode = "queued"  # the webhooks of what follows never arrive
    client.v1.customers.update(changed.id, params={"email": "new@example.com"})
    client.v1.customers.update(other.id, params={"email": "other-new@example.com"})
    client.v1.customers.delete(gone.id)

    _, notes = run_action(admin_client, models.Customer, "refresh_from_stripe", [changed.id, gone.id, same.id])

    assert notes == [
        ("success", "3 customers refreshed from Stripe: 1 updated, 1 unchanged, 1 deleted or ended at Stripe.")
    ]
    rows = {row.id: row for row in models.Customer.objects.all()}
    assert (rows[changed.id].email, rows[changed.id].stripe_data) == (
        "new@example.com",
        dict(synced_fake.get(changed.id)),
    )
    assert rows[gone.id].deleted is True
    assert rows[other.id].email == "other@example.com"  # not selected: not read


def test_refresh_of_every_mirrored_object(synced_fake, catalogue, admin_client, make_user):
    subscribe(make_user(), catalogue)
    # Stripe changes some fields without an event (a customer's next_invoice_sequence when an invoice is
    # finalized): the first refresh brings those in, the second finds every object as Stripe has it.
    for model in MIRROR_ADMINS:
        run_action(admin_client, model, "refresh_from_stripe", model.objects.values_list("id", flat=True))
    for model in MIRROR_ADMINS:
        ids = list(model.objects.values_list("id", flat=True))
        assert ids, model
        _, notes = run_action(admin_client, model, "refresh_from_stripe", ids)
        name = model._meta.verbose_name if len(ids) == 1 else model._meta.verbose_name_plural
        assert notes == [("success", f"{len(ids)} {name} refreshed from Stripe: {len(ids)} unchanged.")]


def test_a_stripe_error_becomes_a_message(synced_fake, catalogue, admin_client, settings):
    price = catalogue["monthly"]
    synced_fake.fail_next(1, status=403)  # a restricted key without prices

    _, notes = run_action(admin_client, models.Price, "refresh_from_stripe", [price])

    [(level, text)] = notes
    assert level == "error" and text.startswith(f"1 price not refreshed: {price} (PermissionError: ")

    settings.STRIPE_SECRET_KEY = "sk_bad_key"
    _, notes = run_action(admin_client, models.Price, "refresh_from_stripe", [price, catalogue["yearly"]])
    [(level, text)] = notes
    assert level == "error" and text.startswith("Refresh stopped, nothing more was read: Stripe refused the API key")
    assert not models.Price.objects.filter(deleted=True).exists()


def test_refresh_skips_rows_of_the_other_mode(stripe_fake, admin_client):
    live = factories.CustomerFactory(payload__livemode=True)  # the test key's Stripe would answer 404

    _, notes = run_action(admin_client, models.Customer, "refresh_from_stripe", [live.id])

    assert notes == [("warning", "1 customer not refreshed: not of the API key's mode (test).")]
    assert models.Customer.objects.get(id=live.id).deleted is False


def test_a_large_selection_is_left_to_the_commands(admin_client, monkeypatch):
    monkeypatch.setattr(admin_module, "MAX_SELECTION", 1)
    ids = [factories.ProductFactory().id, factories.ProductFactory().id]

    _, notes = run_action(admin_client, models.Product, "refresh_from_stripe", ids)

    assert notes == [("warning", "2 products selected: select at most 1, or use `manage.py stripe_sync`.")]


def test_a_subscription_links_to_its_customer_items_prices_and_invoices(
    synced_fake, catalogue, admin_client, make_user
):
    user = make_user()
    subscription = subscribe(user, catalogue)
    item = models.SubscriptionItem.objects.get(subscription_id=subscription.id)
    invoice = subscription.latest_invoice

    page = admin_client.get(reverse("admin:django_stripe_subscription_change", args=[quote(subscription.id)]))

    assert page.status_code == 200
    for model, object_id in [
        (models.Customer, user.stripe_customer_id),
        (models.Invoice, invoice),
        (models.SubscriptionItem, item.id),
        (models.Price, catalogue["monthly"]),
        (models.Product, catalogue["product"]),
        (models.PaymentMethod, subscription.default_payment_method),
    ]:
        assert f'href="{admin_url(model, object_id)}"' in page.content.decode(), model
        assert admin_client.get(admin_url(model, object_id)).status_code == 200

    listed = admin_client.get(changelist(models.Subscription)).content.decode()
    assert f'href="{admin_url(models.Customer, user.stripe_customer_id)}"' in listed
    invoice_page = admin_client.get(admin_url(models.Invoice, invoice)).content.decode()
    assert f'href="{admin_url(models.Subscription, subscription.id)}"' in invoice_page
    customer_page = admin_client.get(admin_url(models.Customer, user.stripe_customer_id)).content.decode()
    assert f'href="{admin_url(models.Subscription, subscription.id)}"' in customer_page
    assert f'href="{admin_url(models.Invoice, invoice)}"' in customer_page


def test_a_long_list_of_invoices_links_to_all_of_them(admin_client, monkeypatch):
    monkeypatch.setattr(admin_module, "RELATED_SHOWN", 1)
    subscription = factories.SubscriptionFactory()
    for _ in range(2):
        factories.InvoiceFactory(subscription_id=subscription.id, customer_id=subscription.customer_id)

    page = admin_client.get(admin_url(models.Subscription, subscription.id)).content.decode()
    every = f"{changelist(models.Invoice)}?subscription__exact={subscription.id}"
    assert f'href="{every}"' in page
    listed = admin_client.get(every)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2


def test_a_schedule_page_shows_its_phases_and_links_to_its_subscription(admin_client):
    from django_stripe.sync.upsert import upsert
    from tests.schedules import schedule

    subscription = factories.SubscriptionFactory(payload__id="sub_1", payload__schedule="sub_sched_1")
    upsert(models.SubscriptionSchedule, schedule(), subscription.synced_at)

    page = admin_client.get(admin_url(models.SubscriptionSchedule, "sub_sched_1"))

    assert page.status_code == 200
    content = page.content.decode()
    assert f'href="{admin_url(models.Subscription, "sub_1")}"' in content
    assert "price_starter" in content  # the next phase's items, read only
    assert not admin_module.admin.site.is_registered(models.SubscriptionSchedulePhase)  # shown on its schedule's page
    subscription_page = admin_client.get(admin_url(models.Subscription, "sub_1")).content.decode()
    assert f'href="{admin_url(models.SubscriptionSchedule, "sub_sched_1")}"' in subscription_page
