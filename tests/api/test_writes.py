"""Every write endpoint, over DRF, against the fake Stripe; foreign objects answer 404 and stay unchanged."""

import pytest
from rest_framework.test import APIClient

from django_stripe import payments
from django_stripe.client import get_client
from django_stripe.models import Subscription
from tests.billables import billable_of

pytestmark = pytest.mark.django_db


def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def saved_card(user, card="pm_card_visa"):
    response = api_client(user).post("/api/setup-intents/")
    assert response.status_code == 201
    assert set(response.json()) == {"id", "client_secret", "payment_method_types"}
    return get_client().v1.setup_intents.confirm(response.json()["id"], params={"payment_method": card}).payment_method


def subscribe(user, price, card):
    response = api_client(user).post(
        "/api/subscriptions/", {"price_id": price, "default_payment_method": card}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_subscribe_change_and_cancel(synced_fake, catalogue, make_user):
    user = make_user()
    client = api_client(user)
    card = saved_card(user)
    created = subscribe(user, catalogue["monthly"], card)
    assert (created["status"], created["price"], created["product"]) == (
        "active",
        catalogue["monthly"],
        catalogue["product"],
    )
    assert created["default_payment_method"] == card and created["current_period_end"]
    user.refresh_from_db()  # the customer the API created, read again (on the team model: the team's)
    assert payments.is_subscribed(billable_of(user), catalogue["product"])

    changed = client.put(f"/api/subscriptions/{created['id']}/", {"cancel_at_period_end": True}, format="json")
    assert changed.status_code == 200 and changed.json()["cancel_at_period_end"] is True
    resumed = client.put(f"/api/subscriptions/{created['id']}/", {"cancel_at_period_end": False}, format="json")
    assert resumed.json()["cancel_at_period_end"] is False
    swapped = client.put(
        f"/api/subscriptions/{created['id']}/", {"price_id": catalogue["yearly"], "quantity": 2}, format="json"
    )
    assert (swapped.json()["price"], swapped.json()["quantity"]) == (catalogue["yearly"], 2)

    cancelled = client.delete(f"/api/subscriptions/{created['id']}/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "canceled"
    assert not payments.is_subscribed(billable_of(user), catalogue["product"])
    assert client.get("/api/subscriptions/").json() == []
    assert client.get(f"/api/subscriptions/{created['id']}/").json()["status"] == "canceled"
    invoices = client.get(f"/api/invoices/?subscription={created['id']}").json()
    # The first invoice, and the swap's, paid at once (both may fall in one second: their order is the ids').
    assert sorted(invoice["billing_reason"] for invoice in invoices) == ["subscription_create", "subscription_update"]


def test_payment_method_endpoints(synced_fake, make_user):
    user = make_user()
    client = api_client(user)
    first, second = saved_card(user), saved_card(user, "pm_card_mastercard")
    updated = client.put(
        f"/api/payment-methods/{first}/",
        {"set_as_default": True, "billing_details": {"name": "Jane Doe"}},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["billing_details"]["name"] == "Jane Doe"
    assert updated.json()["default"] is True
    assert client.get(f"/api/payment-methods/{first}/").json()["default"] is True
    assert client.get(f"/api/payment-methods/{second}/").json()["default"] is False
    defaults = {pm["id"]: pm["default"] for pm in client.get("/api/payment-methods/").json()}
    assert defaults == {first: True, second: False}
    assert client.delete(f"/api/payment-methods/{second}/").status_code == 204
    assert [pm["id"] for pm in client.get("/api/payment-methods/").json()] == [first]
    assert client.delete("/api/payment-methods/*/").status_code == 204
    assert client.get("/api/payment-methods/").json() == []


def test_a_read_never_calls_stripe_a_write_finds_what_the_webhook_has_not_brought_yet(
    synced_fake, catalogue, make_user
):
    user = make_user()
    payments.create_customer(billable_of(user))
    synced_fake.delivery_mode = "queued"  # webhooks from here on are late
    card = get_client().v1.payment_methods.attach(
        "pm_card_visa", params={"customer": billable_of(user).stripe_customer_id}
    )
    subscription = get_client().v1.subscriptions.create(  # at Stripe only: its webhook has not arrived yet
        params={
            "customer": billable_of(user).stripe_customer_id,
            "items": [{"price": catalogue["monthly"]}],
            "default_payment_method": card.id,
        }
    )
    client = api_client(user)
    synced_fake.fail_next(1, status=None, delay=0)  # a tripwire: the next request to Stripe takes it
    assert client.get(f"/api/subscriptions/{subscription.id}/").status_code == 404
    assert client.get(f"/api/payment-methods/{card.id}/").status_code == 404
    assert client.get(f"/api/invoices/{subscription.latest_invoice}/").status_code == 404
    assert synced_fake.pending_faults() == 1  # no read asked Stripe
    changed = client.put(f"/api/subscriptions/{subscription.id}/", {"cancel_at_period_end": True}, format="json")
    assert changed.status_code == 200 and changed.json()["cancel_at_period_end"] is True


def test_checkout_of_a_missing_or_forbidden_price_answers_with_its_message(synced_fake, catalogue, make_user, settings):
    client = api_client(make_user())
    missing = client.post("/api/checkout/price_missing/")
    assert (missing.status_code, missing.content) == (404, b'{"detail":"No such price: \'price_missing\'"}')
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = "prod_other"
    settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY = True
    forbidden = client.post(f"/api/checkout/{catalogue['monthly']}/")
    body = f'{{"detail":"Cannot access product {catalogue["product"]}"}}'.encode()
    assert (forbidden.status_code, forbidden.content) == (403, body)


def test_checkout_setup_checkout_and_portal(synced_fake, catalogue, make_user):
    user = make_user()
    client = api_client(user)
    checkout = client.post(f"/api/checkout/{catalogue['monthly']}/")
    assert checkout.status_code == 201 and checkout.json()["id"].startswith("cs_")
    assert client.post("/api/checkout/price_missing/").status_code == 404
    assert client.post("/api/setup-checkout/").status_code == 201
    portal = client.post("/api/billing/")
    assert portal.status_code == 201 and portal.json()["url"]


def test_invalid_input_is_a_400_naming_the_field(synced_fake, catalogue, make_user):
    client = api_client(make_user())
    missing = client.post("/api/subscriptions/", {}, format="json")
    assert missing.status_code == 400 and "price_id" in missing.json()
    wrong_type = client.put("/api/payment-methods/pm_x/", {"set_as_default": "maybe"}, format="json")
    assert wrong_type.status_code == 400 and "set_as_default" in wrong_type.json()
    assert client.put("/api/subscriptions/", {}, format="json").status_code == 400


def test_declined_card_is_a_402_with_stripes_message(synced_fake, catalogue, make_user):
    user = make_user()
    payments.create_customer(billable_of(user))
    declined = (
        get_client()
        .v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": billable_of(user).stripe_customer_id})
        .id
    )
    response = api_client(user).post(
        "/api/subscriptions/", {"price_id": catalogue["monthly"], "default_payment_method": declined}, format="json"
    )
    assert response.status_code == 402
    assert "declined" in response.json()["detail"].lower()
    assert not Subscription.objects.filter(customer_id=billable_of(user).stripe_customer_id, deleted=False).exists()


@pytest.mark.parametrize("status", [429, 500])
def test_stripe_unavailable_is_a_503_and_changes_nothing(synced_fake, catalogue, make_user, settings, status):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    user = make_user()
    card = saved_card(user)
    synced_fake.fail_next(1, status=status)
    response = api_client(user).post(
        "/api/subscriptions/", {"price_id": catalogue["monthly"], "default_payment_method": card}, format="json"
    )
    assert response.status_code == 503
    assert not Subscription.objects.exists()
    assert get_client().v1.subscriptions.list().data == []


def test_writes_are_throttled(synced_fake, make_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"django_stripe": "2/minute"}}
    client = api_client(make_user())
    statuses = [client.post("/api/setup-intents/").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert client.get("/api/products/").status_code == 200  # reads are never throttled


FOREIGN_WRITES = {
    "put subscription": ("put", "/api/subscriptions/{sub}/", {"cancel_at_period_end": True}),
    "delete subscription": ("delete", "/api/subscriptions/{sub}/", None),
    "put payment method": ("put", "/api/payment-methods/{pm}/", {"set_as_default": True}),
    "delete payment method": ("delete", "/api/payment-methods/{pm}/", None),
    "setup checkout for subscription": ("post", "/api/setup-checkout/{sub}/", None),
    "subscribe with foreign card": (
        "post",
        "/api/subscriptions/",
        {"price_id": "{price}", "default_payment_method": "{pm}"},
    ),
    "get subscription": ("get", "/api/subscriptions/{sub}/", None),
    "preview a plan change": ("post", "/api/subscriptions/{sub}/preview/", {"quantity": 2}),
    "change the plan": ("post", "/api/subscriptions/{sub}/change/", {"quantity": 2}),
    "cancel the scheduled change": ("delete", "/api/subscriptions/{sub}/scheduled-change/", None),
    "pause": ("post", "/api/subscriptions/{sub}/pause/", None),
    "unpause": ("post", "/api/subscriptions/{sub}/unpause/", None),
    "get payment method": ("get", "/api/payment-methods/{pm}/", None),
    "get invoice": ("get", "/api/invoices/{invoice}/", None),
}


@pytest.mark.parametrize("write", FOREIGN_WRITES)
def test_another_users_objects_answer_404_and_stay_unchanged(synced_fake, catalogue, make_user, write):
    owner = make_user("owner")
    card = saved_card(owner)
    subscription = subscribe(owner, catalogue["monthly"], card)
    ids = {
        "sub": subscription["id"],
        "pm": card,
        "price": catalogue["monthly"],
        "invoice": subscription["latest_invoice"],
    }
    intruder = api_client(make_user("intruder"))
    method, path, body = FOREIGN_WRITES[write]
    body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in (body or {}).items()}
    watched = [subscription["id"], card, billable_of(owner).stripe_customer_id]
    before = [synced_fake.get(object_id) for object_id in watched]
    mirrored = list(Subscription.objects.values_list("id", "status", "cancel_at_period_end"))

    response = getattr(intruder, method)(path.format(**ids), body, format="json")
    missing = getattr(intruder, method)(
        path.format(sub="sub_nope", pm="pm_nope", invoice="in_nope", price=ids["price"]),
        {k: ("pm_nope" if v == card else v) for k, v in body.items()},
        format="json",
    )

    assert response.status_code == missing.status_code == 404
    assert [synced_fake.get(object_id) for object_id in watched] == before
    assert list(Subscription.objects.values_list("id", "status", "cancel_at_period_end")) == mirrored
