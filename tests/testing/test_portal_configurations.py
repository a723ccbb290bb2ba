"""Billing portal configurations: create, update, retrieve, list; the default one; the configuration a portal
session uses; and the hosted portal page doing only what the session's configuration allows."""

import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from django_stripe.client import get_client
from django_stripe.testing.fixtures import stripe_fixture


def open_page(url, **form):
    data = urlencode(form).encode() if form else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def plan_options(page):
    return re.findall(r"<option value='(price_\w+)'", page)


def make_catalog(client):
    pro = client.v1.products.create({"name": "Pro"})
    team = client.v1.products.create({"name": "Team"})
    monthly = {"currency": "usd", "recurring": {"interval": "month"}}
    return {
        "pro": pro,
        "team_product": team,
        "basic": client.v1.prices.create({"product": pro.id, "unit_amount": 2000, **monthly}),
        "plus": client.v1.prices.create({"product": pro.id, "unit_amount": 5000, **monthly}),
        "hidden": client.v1.prices.create({"product": pro.id, "unit_amount": 9900, **monthly}),
        "team": client.v1.prices.create({"product": team.id, "unit_amount": 9000, **monthly}),
    }


@pytest.fixture
def catalog(client):
    return make_catalog(client)


def plan_changes(catalog, **feature):
    """A configuration's features: plan changes among basic and plus (not hidden), cancellation off."""
    return {
        "subscription_update": {
            "enabled": True,
            "default_allowed_updates": ["price"],
            "products": [{"product": catalog["pro"].id, "prices": [catalog["basic"].id, catalog["plus"].id]}],
            "proration_behavior": "always_invoice",
            **feature,
        },
        "subscription_cancel": {"enabled": False},
    }


def test_the_account_starts_with_its_default_configuration(client):
    (default,) = client.v1.billing_portal.configurations.list().data
    assert default.is_default is True and default.active is True and default.id.startswith("bpc_")
    assert set(default.to_dict()) == set(stripe_fixture("billing_portal.configuration"))
    features = default.features
    assert features.subscription_cancel.enabled is True and features.subscription_cancel.mode == "at_period_end"
    assert features.subscription_update.enabled is False and features.subscription_update.products == []
    assert features.invoice_history.enabled is True and features.payment_method_update.enabled is True
    assert client.v1.billing_portal.configurations.retrieve(default.id).id == default.id


def test_create_update_retrieve_and_list(client, fake, catalog):
    count = len(fake.events)
    created = client.v1.billing_portal.configurations.create(
        {
            "features": plan_changes(catalog, trial_update_behavior="continue_trial"),
            "business_profile": {"headline": "Manage your plan"},
            "default_return_url": "https://example.com/account",
            "metadata": {"tier": "b2b"},
            "name": "B2B",
        }
    )
    assert set(created.to_dict()) == set(stripe_fixture("billing_portal.configuration"))
    assert created.is_default is False and created.active is True and created.name == "B2B"
    assert created.metadata.to_dict() == {"tier": "b2b"} and created.livemode is False
    assert created.business_profile.headline == "Manage your plan"
    update = created.features.subscription_update
    assert update.enabled is True and update.default_allowed_updates == ["price"]
    assert [(p.product, p.prices) for p in update.products] == [
        (catalog["pro"].id, [catalog["basic"].id, catalog["plus"].id])
    ]
    assert update.proration_behavior == "always_invoice" and update.trial_update_behavior == "continue_trial"
    assert update.schedule_at_period_end.conditions == []
    assert created.features.subscription_cancel.enabled is False
    assert created.features.customer_update.enabled is False  # a feature not given is off
    assert [e["type"] for e in fake.events[count:]] == ["billing_portal.configuration.created"]

    updated = client.v1.billing_portal.configurations.update(
        created.id,
        {
            "features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}},
            "active": False,
            "name": "",
        },
    )
    assert updated.features.subscription_cancel.mode == "immediately" and updated.active is False
    assert updated.name is None and updated.features.subscription_update.enabled is True  # the rest is kept
    event = fake.events[-1]
    assert event["type"] == "billing_portal.configuration.updated"
    assert event["data"]["previous_attributes"]["active"] is True
    assert event["data"]["previous_attributes"]["features"]["subscription_cancel"]["mode"] == "at_period_end"
    assert client.v1.billing_portal.configurations.retrieve(created.id).active is False

    listed = client.v1.billing_portal.configurations.list
    default = listed({"is_default": True}).data[0]
    assert [c.id for c in listed().data] == [created.id, default.id]
    assert [c.id for c in listed({"active": False}).data] == [created.id]
    assert [c.id for c in listed({"active": True}).data] == [default.id]
    assert [c.id for c in listed({"is_default": False}).data] == [created.id]


def test_bad_configurations_are_refused(client, catalog):
    create = client.v1.billing_portal.configurations.create
    with pytest.raises(stripe.InvalidRequestError) as error:
        create({"business_profile": {"headline": "x"}})
    assert error.value.param == "features"
    with pytest.raises(stripe.InvalidRequestError) as error:
        create({"features": {"invoice_history": {"enabled": True}, "customer_update": {"allowed_updates": ["email"]}}})
    assert error.value.param == "features[customer_update][enabled]"
    wrong_product = {"product": catalog["team_product"].id, "prices": [catalog["basic"].id]}
    with pytest.raises(stripe.InvalidRequestError) as error:
        create({"features": {"subscription_update": {"enabled": True, "products": [wrong_product]}}})
    assert error.value.param == "features[subscription_update][products][0][prices]"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.configurations.retrieve("bpc_missing")
    configuration = create({"features": {"invoice_history": {"enabled": True}}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.configurations.update(
            configuration.id, {"name": "kept?", "features": {"subscription_cancel": {"mode": "sometimes"}}}
        )
    assert client.v1.billing_portal.configurations.retrieve(configuration.id).name is None  # all or nothing


def test_a_session_uses_the_named_configuration_or_the_default(client, customer, catalog):
    default = client.v1.billing_portal.configurations.list({"is_default": True}).data[0]
    assert client.v1.billing_portal.sessions.create({"customer": customer.id}).configuration == default.id
    configuration = client.v1.billing_portal.configurations.create(
        {"features": plan_changes(catalog), "default_return_url": "https://example.com/back"}
    )
    session = client.v1.billing_portal.sessions.create({"customer": customer.id, "configuration": configuration.id})
    assert session.configuration == configuration.id and session.return_url == "https://example.com/back"

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing_portal.sessions.create({"customer": customer.id, "configuration": "bpc_missing"})
    assert error.value.http_status == 400 and error.value.code == "resource_missing"
    assert error.value.param == "configuration"
    client.v1.billing_portal.configurations.update(configuration.id, {"active": False})
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing_portal.sessions.create({"customer": customer.id, "configuration": configuration.id})
    assert error.value.http_status == 400 and error.value.param == "configuration"


# -- the hosted portal page ----------------------------------------------------------------------------------


@pytest.fixture
def server_catalog(stripe_fake_server):
    """The catalog on the fake served over HTTP (a browser opens its pages)."""
    return make_catalog(get_client())


@pytest.fixture
def portal(stripe_fake_server, server_catalog):
    """`portal(features, trial_days=None)`: a customer (paying by Visa) subscribed to basic, and a portal session
    on a new configuration with these features: `(session url, subscription)`."""
    client = get_client()
    catalog = server_catalog

    def open_portal(features, trial_days=None, card="pm_card_visa"):
        customer = client.v1.customers.create({"email": "jenny@example.com", "payment_method": card})
        params = {"customer": customer.id, "items": [{"price": catalog["basic"].id}]}
        if trial_days:
            params["trial_period_days"] = trial_days
        subscription = client.v1.subscriptions.create(params)
        configuration = client.v1.billing_portal.configurations.create({"features": features})
        session = client.v1.billing_portal.sessions.create({"customer": customer.id, "configuration": configuration.id})
        return session.url, subscription

    return open_portal


def test_the_page_offers_only_the_configured_plans(portal, server_catalog):
    url, subscription = portal(plan_changes(server_catalog))
    status, page = open_page(url)
    assert status == 200 and subscription.id in page
    assert plan_options(page) == [server_catalog["basic"].id, server_catalog["plus"].id]  # not hidden, not team
    assert "Pro: 50.00 USD / month" in page and ">Cancel<" not in page  # cancellation is off
    assert "name='quantity'" not in page  # only the price may change


def test_a_plan_change_from_the_page_applies_with_the_configured_prorations(stripe_fake_server, portal, server_catalog):
    client = get_client()
    url, subscription = portal(plan_changes(server_catalog))
    count = len(stripe_fake_server.events)
    status, page = open_page(url, subscription=subscription.id, action="update", price=server_catalog["plus"].id)
    assert status == 200 and "class='error'" not in page
    changed = client.v1.subscriptions.retrieve(subscription.id)
    assert changed["items"].data[0].price.id == server_catalog["plus"].id
    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"  # always_invoice
    assert [line.parent.subscription_item_details.proration for line in invoice.lines.data] == [True, True]
    assert "customer.subscription.updated" in [e["type"] for e in stripe_fake_server.events[count:]]

    open_page(url, subscription=subscription.id, action="update", price=server_catalog["hidden"].id)
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == server_catalog["plus"].id


def test_a_declined_plan_change_from_the_page_leaves_the_plan(portal, server_catalog):
    client = get_client()
    url, subscription = portal(plan_changes(server_catalog))
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": subscription.customer})
    client.v1.customers.update(subscription.customer, {"invoice_settings": {"default_payment_method": failing.id}})
    status, page = open_page(url, subscription=subscription.id, action="update", price=server_catalog["plus"].id)
    assert status == 200 and "Your card was declined. Your plan was not changed." in page
    kept = client.v1.subscriptions.retrieve(subscription.id)
    assert kept["items"].data[0].price.id == server_catalog["basic"].id and kept.status == "active"
    assert kept.pending_update.subscription_items[0].price.id == server_catalog["plus"].id  # pending_if_incomplete
    assert client.v1.invoices.retrieve(kept.latest_invoice).status == "open"


def test_a_plan_change_from_the_page_ends_a_trial_when_configured(portal, server_catalog):
    client = get_client()
    url, subscription = portal(plan_changes(server_catalog, trial_update_behavior="end_trial"), trial_days=14)
    open_page(url, subscription=subscription.id, action="update", price=server_catalog["plus"].id)
    changed = client.v1.subscriptions.retrieve(subscription.id)
    assert changed.status == "active" and changed["items"].data[0].price.id == server_catalog["plus"].id
    assert client.v1.invoices.retrieve(changed.latest_invoice).amount_paid == 5000

    url, subscription = portal(plan_changes(server_catalog, trial_update_behavior="continue_trial"), trial_days=14)
    open_page(url, subscription=subscription.id, action="update", price=server_catalog["plus"].id)
    changed = client.v1.subscriptions.retrieve(subscription.id)
    assert changed.status == "trialing" and changed["items"].data[0].price.id == server_catalog["plus"].id


def test_without_plan_changes_the_page_changes_no_plan(portal, server_catalog):
    client = get_client()
    url, subscription = portal({"subscription_update": {"enabled": False}, "subscription_cancel": {"enabled": True}})
    status, page = open_page(url)
    assert plan_options(page) == [] and "Change plan" not in page and ">Cancel<" in page
    status, page = open_page(url, subscription=subscription.id, action="update", price=server_catalog["plus"].id)
    assert "Plan changes are not available" in page
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == server_catalog["basic"].id


def test_quantity_changes_when_configured(portal, server_catalog):
    client = get_client()
    url, subscription = portal(
        plan_changes(server_catalog, default_allowed_updates=["quantity"], proration_behavior="none")
    )
    status, page = open_page(url)
    assert plan_options(page) == [] and "name='quantity'" in page
    open_page(url, subscription=subscription.id, action="update", quantity="3")
    changed = client.v1.subscriptions.retrieve(subscription.id)
    assert changed["items"].data[0].quantity == 3 and changed.latest_invoice == subscription.latest_invoice


def test_cancellation_follows_the_configured_mode(portal, server_catalog):
    client = get_client()
    url, subscription = portal({"subscription_cancel": {"enabled": False}})
    open_page(url, subscription=subscription.id, action="cancel")
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False

    url, subscription = portal({"subscription_cancel": {"enabled": True, "mode": "immediately"}})
    status, page = open_page(url)
    assert ">Cancel<" in page
    status, page = open_page(url, subscription=subscription.id, action="cancel")
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert ">Cancel<" not in page

    url, subscription = portal({"subscription_cancel": {"enabled": True, "mode": "at_period_end"}})
    status, page = open_page(url, subscription=subscription.id, action="cancel")
    assert "cancels at period end" in page and ">Renew<" in page
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True
