"""Billing portal configurations: create, update, retrieve, list; the default one; the configuration a portal
session uses."""

import pytest
import stripe

from django_stripe.testing.fixtures import stripe_fixture


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
