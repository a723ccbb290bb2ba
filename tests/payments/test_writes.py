"""Writes go to Stripe (the fake, through the real SDK) and are mirrored before the function returns."""

import threading

import pytest
import stripe
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import Http404

from django_stripe import payments, signals
from django_stripe.client import get_client
from django_stripe.exceptions import StripeWrongCustomer
from django_stripe.models import Customer, PaymentMethod, Subscription
from tests.billables import billable_of, create_user, user_model_only

pytestmark = pytest.mark.django_db


def add_card(user, card="pm_card_visa"):
    """Save a card the way the checkout page does: a SetupIntent confirmed with a test card."""
    setup_intent = payments.create_setup_intent(billable_of(user))
    confirmed = get_client().v1.setup_intents.confirm(setup_intent.id, params={"payment_method": card})
    return confirmed.payment_method


@user_model_only(reason="a user's customer: named after the user, with their pk as metadata user_id")
def test_create_customer_once_and_mirrored(stripe_fake, make_user):
    user = make_user(email="alice@example.com", first_name="Alice", last_name="Smith")
    received = []
    signals.new_customer.connect(lambda sender, **kw: received.append(kw["customer"].id), weak=False)
    payments.create_customer(billable_of(user))
    user.refresh_from_db()
    customer = stripe_fake.get(billable_of(user).stripe_customer_id)
    assert (customer["email"], customer["name"]) == ("alice@example.com", "Alice Smith")
    assert customer["metadata"]["user_id"] == str(user.pk)
    assert Customer.objects.get(id=billable_of(user).stripe_customer_id).email == "alice@example.com"
    payments.create_customer(billable_of(user))
    assert len(get_client().v1.customers.list().data) == 1
    assert received[-1] == billable_of(user).stripe_customer_id


def test_new_customer_kwargs_setting(stripe_fake, make_user, settings):
    settings.STRIPE_NEW_CUSTOMER_GET_KWARGS = lambda user, **kwargs: {"metadata": {"plan": "trial"}}
    user = payments.create_customer(billable_of(make_user()))
    assert stripe_fake.get(billable_of(user).stripe_customer_id)["metadata"]["plan"] == "trial"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_one_customer(stripe_fake, settings):
    user = create_user("racer", "racer@example.com", "pw")
    start = threading.Barrier(8)
    errors = []

    def first_request():
        try:
            start.wait()
            payments.create_customer(billable_of(get_user_model().objects.get(pk=user.pk)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(get_client().v1.customers.list().data) == 1
    user.refresh_from_db()
    assert billable_of(user).stripe_customer_id == get_client().v1.customers.list().data[0].id


def test_keep_customer_details_updated(synced_fake, make_user, django_capture_on_commit_callbacks):
    user = payments.create_customer(billable_of(make_user(email="old@example.com")))
    user.email = "new@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        user.save()
    assert synced_fake.get(billable_of(user).stripe_customer_id)["email"] == "new@example.com"


def test_customer_details_left_alone_when_turned_off(
    synced_fake, make_user, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_KEEP_CUSTOMER_DETAILS_UPDATED = "False"  # the original design documents it as a string
    user = payments.create_customer(billable_of(make_user(email="old@example.com")))
    user.email = "new@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        user.save()
    assert synced_fake.get(billable_of(user).stripe_customer_id)["email"] == "old@example.com"


def test_subscription_is_readable_at_once(synced_fake, catalogue, make_user):
    user = make_user()
    card = add_card(user)
    received = []
    signals.subscription_created.connect(lambda sender, **kw: received.append(kw["subscription"].id), weak=False)
    synced_fake.webhooks.endpoints.clear()  # no webhook at all: the write itself must fill the mirror
    subscription = payments.create_subscription(billable_of(user), catalogue["monthly"], default_payment_method=card)
    assert subscription.status == "active"
    assert payments.is_subscribed(billable_of(user), catalogue["product"]) is True
    assert Subscription.objects.get(id=subscription.id).items.get().price_id == catalogue["monthly"]
    assert received == [subscription.id]


def test_set_as_default_payment_method(synced_fake, catalogue, make_user):
    user = make_user()
    card = add_card(user)
    payments.create_subscription(
        billable_of(user), catalogue["monthly"], default_payment_method=card, set_as_default_payment_method=True
    )
    customer = synced_fake.get(billable_of(user).stripe_customer_id)
    assert customer["invoice_settings"]["default_payment_method"] == card
    assert [pm["default"] for pm in payments.list_payment_methods(billable_of(user))] == [True]


def declined_card(user):
    """A card of the user's (a customer made first) that Stripe declines."""
    payments.create_customer(billable_of(user))
    attached = get_client().v1.payment_methods.attach(
        "pm_card_chargeDeclined", params={"customer": billable_of(user).stripe_customer_id}
    )
    return attached.id


def test_declined_card_leaves_an_incomplete_subscription_or_an_error(synced_fake, catalogue, make_user):
    user = make_user()
    declined = declined_card(user)
    with pytest.raises(stripe.CardError):
        payments.create_subscription(
            billable_of(user),
            catalogue["monthly"],
            default_payment_method=declined,
            payment_behavior="error_if_incomplete",
        )
    assert payments.is_subscribed(billable_of(user), catalogue["product"]) is False


def test_cancel_at_period_end_resume_swap_and_cancel(synced_fake, catalogue, make_user):
    user = make_user()
    sub = payments.create_subscription(billable_of(user), catalogue["monthly"], default_payment_method=add_card(user))
    payments.cancel_subscription_at_period_end(billable_of(user), sub.id)
    assert Subscription.objects.get(id=sub.id).on_grace_period
    assert payments.is_subscribed_and_cancelled_time(billable_of(user), catalogue["product"])["cancel_at"] is not None
    payments.resume_subscription(billable_of(user), sub.id)
    assert not Subscription.objects.get(id=sub.id).on_grace_period
    payments.swap_subscription_price(billable_of(user), sub.id, catalogue["yearly"])
    assert Subscription.objects.get(id=sub.id).items.get(deleted=False).price_id == catalogue["yearly"]
    payments.change_subscription_quantity(billable_of(user), sub.id, 3)
    assert synced_fake.get(sub.id)["items"]["data"][0]["quantity"] == 3
    assert payments.cancel_subscription_for_product(billable_of(user), catalogue["product"]) is True
    assert payments.is_subscribed(billable_of(user), catalogue["product"]) is False
    assert synced_fake.get(sub.id)["status"] == "canceled"
    assert payments.cancel_subscription_for_product(billable_of(user), catalogue["product"]) is False


def test_payment_methods_modify_and_detach(synced_fake, make_user):
    user = make_user()
    first, second = add_card(user), add_card(user, "pm_card_mastercard")
    assert {pm["id"] for pm in payments.list_payment_methods(billable_of(user))} == {first, second}
    payments.modify_payment_method(billable_of(user), first, set_as_default=True, billing_details={"name": "Jane Doe"})
    assert synced_fake.get(first)["billing_details"]["name"] == "Jane Doe"
    assert synced_fake.get(billable_of(user).stripe_customer_id)["invoice_settings"]["default_payment_method"] == first
    payments.detach_payment_method(billable_of(user), second)
    assert [pm["id"] for pm in payments.list_payment_methods(billable_of(user))] == [first]
    assert payments.detach_all_payment_methods(billable_of(user))[0].id == first
    assert payments.list_payment_methods(billable_of(user)) == []
    assert PaymentMethod.objects.get(id=first).customer_id is None


def test_checkout_and_portal_sessions(synced_fake, catalogue, make_user, settings):
    settings.STRIPE_CHECKOUT_SUCCESS_URL = "https://shop.example/thanks"
    user = make_user()
    session = payments.create_subscription_checkout(billable_of(user), catalogue["monthly"])
    held = synced_fake.get(session.id)
    assert held["client_reference_id"] == str(billable_of(user).pk)
    assert held["customer"] == billable_of(user).stripe_customer_id
    assert held["success_url"] == "https://shop.example/thanks"
    assert held["mode"] == "subscription"
    with pytest.raises(Http404):
        payments.create_subscription_checkout(billable_of(user), "price_missing")
    assert payments.create_setup_checkout(billable_of(user)).mode == "setup"
    assert payments.create_billing_portal(billable_of(user)).url
    setup_intent = payments.create_setup_intent(billable_of(user))
    assert setup_intent.client_secret and setup_intent.payment_method_types == ["card"]


def test_generic_functions(synced_fake, catalogue, make_user):
    user = make_user()
    sub = payments.create_subscription(billable_of(user), catalogue["monthly"], default_payment_method=add_card(user))
    assert payments.retrieve_customer_object(billable_of(user), stripe.Subscription, sub.id)["id"] == sub.id
    assert [s["id"] for s in payments.list_customer_resource(billable_of(user), stripe.Subscription)] == [sub.id]
    assert payments.list_customer_resource(billable_of(user), stripe.Invoice, status="paid")[0]["status"] == "paid"
    payments.modify_customer_object(billable_of(user), stripe.Subscription, sub.id, metadata={"seat": "1"})
    assert synced_fake.get(sub.id)["metadata"] == {"seat": "1"}
    assert payments.delete_customer_object(billable_of(user), stripe.Subscription, sub.id)["status"] == "canceled"
    # Stripe's list rule: a cancelled subscription only when its status (or `all`) is asked for.
    assert payments.list_customer_resource(billable_of(user), stripe.Subscription) == []
    assert [
        s["id"] for s in payments.list_customer_resource(billable_of(user), stripe.Subscription, status="canceled")
    ] == [sub.id]
    assert [s["id"] for s in payments.list_customer_resource(billable_of(user), stripe.Subscription, status="all")] == [
        sub.id
    ]
    invoices = payments.list_customer_resource(
        billable_of(user), stripe.Invoice, subscription=sub.id, billing_reason="subscription_create"
    )
    assert [invoice["billing_reason"] for invoice in invoices] == ["subscription_create"]
    assert payments.list_customer_resource(billable_of(user), stripe.Invoice, limit=1, currency="eur") == []


def test_payment_methods_as_stripe_objects_filtered_like_stripe_lists(synced_fake, catalogue, make_user):
    user = make_user()
    first = add_card(user)
    synced_fake.advance_clock(1)  # newest first: one second apart
    second = add_card(user, "pm_card_mastercard")
    listed = payments.list_payment_methods(billable_of(user))
    assert [(pm.id, pm.card.brand) for pm in listed] == [(second, "mastercard"), (first, "visa")]
    assert [pm.id for pm in payments.list_payment_methods(billable_of(user), limit=1)] == [second]
    assert [pm.id for pm in payments.list_payment_methods(billable_of(user), card={"brand": "visa"})] == [first]
    assert [pm.id for pm in payments.list_payment_methods(billable_of(user), card={"brand": "amex"})] == []
    assert payments.retrieve_payment_method(billable_of(user), first).default is False
    payments.modify_payment_method(billable_of(user), first, set_as_default=True)
    assert payments.retrieve_payment_method(billable_of(user), first).default is True
    assert [pm.id for pm in payments.detach_all_payment_methods(billable_of(user), limit=1)] == [second]
    assert [pm.id for pm in payments.list_payment_methods(billable_of(user))] == [first]


def test_the_owner_of_what_is_created_cannot_be_given(synced_fake, catalogue, make_user):
    user, other = make_user(), make_user("bob")
    payments.create_customer(billable_of(other))
    for call in (
        lambda: payments.create_subscription(
            billable_of(user), catalogue["monthly"], customer=billable_of(other).stripe_customer_id
        ),
        lambda: payments.create_subscription(
            billable_of(user), catalogue["monthly"], items=[{"price": catalogue["yearly"]}]
        ),
        lambda: payments.create_checkout(billable_of(user), customer=billable_of(other).stripe_customer_id),
        lambda: payments.create_setup_checkout(billable_of(user), client_reference_id=str(other.pk)),
        lambda: payments.create_setup_intent(billable_of(user), customer=billable_of(other).stripe_customer_id),
    ):
        with pytest.raises(TypeError, match="always the user's own"):
            call()
    assert get_client().v1.subscriptions.list().data == []


def test_create_checkout_with_a_method_of_its_own(synced_fake, make_user):
    received = {}

    def create(**params):
        received.update(params)
        return get_client().v1.checkout.sessions.create(params=params)

    user = make_user()
    session = payments.create_checkout(billable_of(user), create, mode="setup")
    assert (
        session.client_reference_id == str(billable_of(user).pk)
        and received["customer"] == billable_of(user).stripe_customer_id
    )


def owner_and_intruder(synced_fake, catalogue, make_user):
    owner = make_user("owner")
    card = add_card(owner)
    sub = payments.create_subscription(billable_of(owner), catalogue["monthly"], default_payment_method=card)
    intruder = make_user("intruder")
    payments.create_customer(billable_of(intruder))
    return owner, intruder, sub.id, card


CALLS = {
    "detach_payment_method": lambda user, sub, pm, price: payments.detach_payment_method(billable_of(user), pm),
    "modify_payment_method": lambda user, sub, pm, price: payments.modify_payment_method(
        billable_of(user), pm, set_as_default=True
    ),
    "modify_subscription": lambda user, sub, pm, price: payments.modify_subscription(
        billable_of(user), sub, metadata={"x": "1"}
    ),
    "cancel_subscription": lambda user, sub, pm, price: payments.cancel_subscription(billable_of(user), sub),
    "cancel_at_period_end": lambda user, sub, pm, price: payments.cancel_subscription_at_period_end(
        billable_of(user), sub
    ),
    "swap_price": lambda user, sub, pm, price: payments.swap_subscription_price(billable_of(user), sub, price),
    "change_quantity": lambda user, sub, pm, price: payments.change_subscription_quantity(billable_of(user), sub, 5),
    "retrieve": lambda user, sub, pm, price: payments.retrieve_customer_object(
        billable_of(user), stripe.Subscription, sub
    ),
    "modify": lambda user, sub, pm, price: payments.modify_customer_object(
        billable_of(user), stripe.Subscription, sub, metadata={"x": "1"}
    ),
    "delete": lambda user, sub, pm, price: payments.delete_customer_object(billable_of(user), stripe.PaymentMethod, pm),
    # The old names, kept as aliases, check ownership as the new ones do.
    "retrieve_alias": lambda user, sub, pm, price: payments.retrieve(billable_of(user), stripe.Subscription, sub),
    "modify_alias": lambda user, sub, pm, price: payments.modify(
        billable_of(user), stripe.Subscription, sub, metadata={"x": "1"}
    ),
    "delete_alias": lambda user, sub, pm, price: payments.delete(billable_of(user), stripe.PaymentMethod, pm),
    "create_with_foreign_card": lambda user, sub, pm, price: payments.create_subscription(
        billable_of(user), price, default_payment_method=pm
    ),
}


@pytest.mark.parametrize("call", CALLS)
def test_foreign_and_missing_ids_fail_alike_and_change_nothing(synced_fake, catalogue, make_user, call):
    owner, intruder, sub_id, pm_id = owner_and_intruder(synced_fake, catalogue, make_user)
    before = (synced_fake.get(sub_id), synced_fake.get(pm_id), synced_fake.get(billable_of(owner).stripe_customer_id))
    with pytest.raises(StripeWrongCustomer) as foreign:
        CALLS[call](intruder, sub_id, pm_id, catalogue["yearly"])
    with pytest.raises(StripeWrongCustomer) as missing:
        CALLS[call](intruder, "sub_missing000", "pm_missing000", catalogue["yearly"])
    anonymous = str(foreign.value).replace(sub_id, "ID").replace(pm_id, "ID")
    assert anonymous == str(missing.value).replace("sub_missing000", "ID").replace("pm_missing000", "ID")
    after = (synced_fake.get(sub_id), synced_fake.get(pm_id), synced_fake.get(billable_of(owner).stripe_customer_id))
    assert after == before


def test_customer_details_push_never_breaks_a_save(
    synced_fake, make_user, django_capture_on_commit_callbacks, settings
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    user = payments.create_customer(billable_of(make_user(email="old@example.com")))
    synced_fake.fail_next(1, status=500)
    user.email = "new@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        user.save()  # Stripe is down: the save still succeeds
    assert type(user).objects.get(pk=user.pk).email == "new@example.com"


def test_signals_name_the_user_model_even_for_request_users(synced_fake, make_user):
    from django.utils.functional import SimpleLazyObject

    user = make_user()
    senders = []
    signals.setup_intent_created.connect(lambda sender, **kw: senders.append(sender), weak=False)
    payments.create_setup_intent(SimpleLazyObject(lambda: user))  # what request.user is in a view
    assert senders == [get_user_model()]


def test_a_test_payment_method_is_attached_to_the_customer_as_stripe_does_in_test_mode(
    synced_fake, catalogue, make_user
):
    user = make_user()
    subscription = payments.create_subscription(
        billable_of(user), catalogue["monthly"], default_payment_method="pm_card_visa"
    )
    # Stripe makes a payment method of the customer's own from the test token: that one is charged and mirrored.
    card = subscription.default_payment_method
    assert card.startswith("pm_") and card != "pm_card_visa"
    assert synced_fake.get(card)["customer"] == billable_of(user).stripe_customer_id
    assert PaymentMethod.objects.get(id=card).customer_id == billable_of(user).stripe_customer_id
    assert subscription.status == "active" and payments.is_subscribed(billable_of(user), catalogue["product"])
    changed = payments.modify_subscription(
        billable_of(user),
        subscription.id,
        default_payment_method="pm_card_mastercard",
        set_as_default_payment_method=True,
    )
    assert synced_fake.get(changed.default_payment_method)["card"]["brand"] == "mastercard"
    customer = synced_fake.get(billable_of(user).stripe_customer_id)
    assert customer["invoice_settings"]["default_payment_method"] == changed.default_payment_method


def test_a_declining_test_payment_method_is_attached_and_declined(synced_fake, catalogue, make_user):
    user = make_user()
    with pytest.raises(stripe.CardError):
        payments.create_subscription(
            billable_of(user), catalogue["monthly"], default_payment_method="pm_card_chargeDeclined",
            payment_behavior="error_if_incomplete",
        )  # fmt: skip
    assert not payments.is_subscribed(billable_of(user), catalogue["product"])


def test_an_unknown_test_payment_method_fails_like_a_missing_id(synced_fake, catalogue, make_user):
    with pytest.raises(StripeWrongCustomer, match="No such payment_method: 'pm_card_nothing'"):
        payments.create_subscription(
            billable_of(make_user()), catalogue["monthly"], default_payment_method="pm_card_nothing"
        )


def test_test_payment_methods_are_attached_in_test_mode_only(synced_fake, catalogue, make_user, monkeypatch):
    user = payments.create_customer(billable_of(make_user()))
    monkeypatch.setattr("django_stripe.payments.subscriptions.key_livemode", lambda: True)
    with pytest.raises(StripeWrongCustomer):
        payments.create_subscription(billable_of(user), catalogue["monthly"], default_payment_method="pm_card_visa")
    assert not PaymentMethod.objects.filter(customer_id=billable_of(user).stripe_customer_id).exists()
    assert synced_fake.get(billable_of(user).stripe_customer_id) and get_client().v1.subscriptions.list().data == []
