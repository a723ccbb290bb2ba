"""Billing meters on the fake, over real HTTP: created with Stripe's defaults, listed by status, renamed,
deactivated and reactivated with their `billing.meter.*` events; an event name is one active meter's; a
metered price names an existing meter and a licensed one none."""

from __future__ import annotations

import pytest
import stripe

from fake_stripe.server import FakeStripeServer

from .metering import Metering


@pytest.fixture
def metering(fake_stripe_server: FakeStripeServer) -> Metering:
    return Metering.on(fake_stripe_server)


def test_a_meter_is_created_with_stripes_defaults(metering: Metering) -> None:
    meter = metering.client.v1.billing.meters.retrieve(metering.meter.id)

    assert meter.object == "billing.meter" and meter.id.startswith("mtr_")
    assert meter.status == "active" and meter.event_name == "api_call"
    assert meter.customer_mapping.event_payload_key == "stripe_customer_id"
    assert meter.customer_mapping.type == "by_id"
    assert meter.value_settings.event_payload_key == "value"
    assert meter.default_aggregation.formula == "sum"
    assert meter.status_transitions.deactivated_at is None
    assert [e["type"] for e in metering.fake.events] == ["billing.meter.created"]


def test_meters_are_listed_newest_first_and_by_status(metering: Metering) -> None:
    tokens = metering.new_meter("tokens", "count")
    metering.client.v1.billing.meters.deactivate(metering.meter.id)

    meters = metering.client.v1.billing.meters
    assert [m.id for m in meters.list().data] == [tokens.id, metering.meter.id]
    assert [m.id for m in meters.list({"status": "active"}).data] == [tokens.id]
    assert [m.id for m in meters.list({"status": "inactive"}).data] == [metering.meter.id]
    with pytest.raises(stripe.InvalidRequestError):
        meters.list({"status": "archived"})


def test_a_rename_is_an_update_event_with_previous_attributes(metering: Metering) -> None:
    meter = metering.client.v1.billing.meters.update(metering.meter.id, {"display_name": "API requests"})

    assert meter.display_name == "API requests"
    updated = metering.fake.events[-1]
    assert updated["type"] == "billing.meter.updated"
    assert updated["data"]["previous_attributes"]["display_name"] == "api_call"


def test_deactivate_and_reactivate_each_emit_their_event_once(metering: Metering) -> None:
    meters = metering.client.v1.billing.meters
    inactive = meters.deactivate(metering.meter.id)
    meters.deactivate(metering.meter.id)  # already inactive: nothing changes
    assert inactive.status == "inactive" and inactive.status_transitions.deactivated_at == metering.fake.now()

    active = meters.reactivate(metering.meter.id)

    assert active.status == "active"
    types = [e["type"] for e in metering.fake.events]
    assert types == ["billing.meter.created", "billing.meter.deactivated", "billing.meter.reactivated"]


def test_an_event_name_belongs_to_one_active_meter(metering: Metering) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="already exists") as refused:
        metering.new_meter("api_call")
    assert refused.value.http_status == 400

    metering.client.v1.billing.meters.deactivate(metering.meter.id)
    successor = metering.new_meter("api_call")  # free again once the first is inactive
    with pytest.raises(stripe.InvalidRequestError, match="already exists"):
        metering.client.v1.billing.meters.reactivate(metering.meter.id)
    assert successor.status == "active"


@pytest.mark.parametrize(
    "spec, param",
    [
        ({"display_name": "x", "event_name": "x"}, "formula"),
        ({"display_name": "x", "event_name": "x", "default_aggregation": {"formula": "max"}}, "formula"),
        ({"event_name": "x", "default_aggregation": {"formula": "sum"}}, "display_name"),
        ({"display_name": "x", "default_aggregation": {"formula": "sum"}}, "event_name"),
    ],
)
def test_a_bad_meter_is_a_400_naming_the_parameter(metering: Metering, spec: dict, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        metering.client.v1.billing.meters.create(spec)
    assert refused.value.http_status == 400 and param in (refused.value.param or "")


def test_a_missing_meter_is_stripes_404(metering: Metering) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="No such billing meter: 'mtr_nope'") as missing:
        metering.client.v1.billing.meters.retrieve("mtr_nope")
    assert missing.value.http_status == 404


def test_a_metered_price_names_its_meter(metering: Metering) -> None:
    prices = metering.client.v1.prices
    base = {"product_data": {"name": "API"}, "currency": "usd", "unit_amount": 2}
    price = prices.create(
        {**base, "recurring": {"interval": "month", "usage_type": "metered", "meter": metering.meter.id}}
    )
    assert price.recurring.usage_type == "metered" and price.recurring.meter == metering.meter.id
    licensed = prices.create({**base, "recurring": {"interval": "month"}})
    assert licensed.recurring.usage_type == "licensed" and licensed.recurring.meter is None

    with pytest.raises(stripe.InvalidRequestError, match="needs a meter"):
        prices.create({**base, "recurring": {"interval": "month", "usage_type": "metered"}})
    with pytest.raises(stripe.InvalidRequestError, match="No such billing meter"):
        prices.create({**base, "recurring": {"interval": "month", "usage_type": "metered", "meter": "mtr_nope"}})
    with pytest.raises(stripe.InvalidRequestError, match="usage_type=metered"):
        prices.create({**base, "recurring": {"interval": "month", "meter": metering.meter.id}})
