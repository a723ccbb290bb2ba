"""factory-boy factories: Stripe payloads shaped like Stripe's current fixtures, and mirror rows made from
them through the same mappers the sync uses.

    payload = SubscriptionPayloadFactory(customer="cus_1", status="trialing")
    row = SubscriptionFactory(payload__customer="cus_1")   # mirrors the subscription and its items

Requires the `test` extra (factory-boy).
"""

from __future__ import annotations

import time
from typing import Any

import factory
from django.utils import timezone

from fake_stripe.fixtures import stripe_fixture

from .. import models
from ..sync import mappers

DAY = 24 * 3600


def _now() -> int:
    return int(time.time())


class StripePayloadFactory(factory.DictFactory):
    """A Stripe object as a dict: Stripe's fixture for `object`, with the declared fields on top."""

    livemode = False
    created = factory.LazyFunction(_now)
    metadata = factory.LazyFunction(dict)

    @classmethod
    def _build(cls, model_class, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {**stripe_fixture(kwargs["object"]), **kwargs}

    _create = _build


class ProductPayloadFactory(StripePayloadFactory):
    object = "product"
    id = factory.Sequence(lambda n: f"prod_test{n:08d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    active = True
    default_price = None
    type = "service"


class PricePayloadFactory(StripePayloadFactory):
    object = "price"
    id = factory.Sequence(lambda n: f"price_test{n:08d}")
    product = factory.Sequence(lambda n: f"prod_test{n:08d}")
    active = True
    currency = "usd"
    unit_amount = 1000
    unit_amount_decimal = factory.LazyAttribute(lambda o: str(o.unit_amount))
    nickname = None
    lookup_key = None
    type = "recurring"
    recurring = factory.LazyFunction(
        lambda: {
            "interval": "month",
            "interval_count": 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    )
    custom_unit_amount = None
    transform_quantity = None


class CustomerPayloadFactory(StripePayloadFactory):
    object = "customer"
    id = factory.Sequence(lambda n: f"cus_test{n:08d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    discount = None
    invoice_settings = factory.LazyFunction(
        lambda: {"custom_fields": None, "default_payment_method": None, "footer": None, "rendering_options": None}
    )


class PaymentMethodPayloadFactory(StripePayloadFactory):
    object = "payment_method"
    id = factory.Sequence(lambda n: f"pm_test{n:08d}")
    customer = None
    type = "card"


class SubscriptionItemPayloadFactory(StripePayloadFactory):
    object = "subscription_item"
    id = factory.Sequence(lambda n: f"si_test{n:08d}")
    subscription = factory.Sequence(lambda n: f"sub_test{n:08d}")
    price = factory.SubFactory(PricePayloadFactory)
    plan = None
    quantity = 1
    current_period_start = factory.LazyFunction(_now)
    current_period_end = factory.LazyAttribute(lambda o: o.current_period_start + 30 * DAY)


class SubscriptionPayloadFactory(StripePayloadFactory):
    """A subscription with one item. `price` (a price payload) and the period can be given as params."""

    class Params:
        price = factory.SubFactory(PricePayloadFactory)
        period_start = factory.LazyFunction(_now)
        period_end = factory.LazyAttribute(lambda o: o.period_start + 30 * DAY)

    object = "subscription"
    id = factory.Sequence(lambda n: f"sub_test{n:08d}")
    customer = factory.Sequence(lambda n: f"cus_test{n:08d}")
    status = "active"
    cancel_at_period_end = False
    cancel_at = None
    canceled_at = None
    ended_at = None
    trial_start = None
    trial_end = None
    start_date = factory.SelfAttribute("period_start")
    default_payment_method = None
    latest_invoice = None
    # Stripe's fixture shows a paused one; a new subscription is not paused and has no schedule.
    pause_collection = None
    schedule = None
    items = factory.LazyAttribute(
        lambda o: {
            "object": "list",
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={o.id}",
            "data": [
                SubscriptionItemPayloadFactory(
                    subscription=o.id,
                    price=o.price,
                    current_period_start=o.period_start,
                    current_period_end=o.period_end,
                )
            ],
        }
    )


class InvoicePayloadFactory(StripePayloadFactory):
    object = "invoice"
    id = factory.Sequence(lambda n: f"in_test{n:08d}")
    customer = factory.Sequence(lambda n: f"cus_test{n:08d}")
    status = "paid"
    billing_reason = "subscription_create"
    amount_due = 1000
    amount_paid = factory.LazyAttribute(lambda o: o.amount_due if o.status == "paid" else 0)
    amount_remaining = factory.LazyAttribute(lambda o: o.amount_due - o.amount_paid)
    currency = "usd"
    number = factory.Sequence(lambda n: f"TEST-{n:04d}")
    hosted_invoice_url = None
    invoice_pdf = None
    next_payment_attempt = None
    parent = factory.LazyAttribute(
        lambda o: (
            {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": o.subscription},
            }
            if o.subscription
            else None
        )
    )

    class Params:
        # The invoice's subscription, under parent.subscription_details: the current API version has no
        # top-level `subscription` (an older one's payload: `{**InvoicePayloadFactory(), "subscription": ...}`).
        subscription = None


class ActiveEntitlementPayloadFactory(StripePayloadFactory):
    object = "entitlements.active_entitlement"
    id = factory.Sequence(lambda n: f"ent_test{n:08d}")
    feature = factory.Sequence(lambda n: f"feat_test{n:08d}")
    lookup_key = factory.Sequence(lambda n: f"feature-{n}")
    created = None
    metadata = None


MAPPERS = {
    models.Product: mappers.map_product,
    models.Price: mappers.map_price,
    models.Customer: mappers.map_customer,
    models.PaymentMethod: mappers.map_payment_method,
    models.Subscription: mappers.map_subscription,
    models.SubscriptionItem: mappers.map_subscription_item,
    models.Invoice: mappers.map_invoice,
    models.ActiveEntitlement: lambda payload: mappers.map_active_entitlement(payload, customer_id=None),
}


class MirrorFactory(factory.django.DjangoModelFactory):
    """The mirror row of a payload, made by the sync's mapper: `ProductFactory(payload__name="Gold")`.

    Extra keyword arguments set columns directly, e.g. `ActiveEntitlementFactory(customer_id="cus_1")`.
    """

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, payload: dict[str, Any], **columns: Any):
        row = model_class(id=payload["id"], synced_at=timezone.now(), **MAPPERS[model_class](payload))
        for name, value in columns.items():
            setattr(row, name, value)
        row.save(force_insert=True)
        return row


class ProductFactory(MirrorFactory):
    class Meta:
        model = models.Product

    payload = factory.SubFactory(ProductPayloadFactory)


class PriceFactory(MirrorFactory):
    class Meta:
        model = models.Price

    payload = factory.SubFactory(PricePayloadFactory)


class CustomerFactory(MirrorFactory):
    class Meta:
        model = models.Customer

    payload = factory.SubFactory(CustomerPayloadFactory)


class PaymentMethodFactory(MirrorFactory):
    class Meta:
        model = models.PaymentMethod

    payload = factory.SubFactory(PaymentMethodPayloadFactory)


class SubscriptionItemFactory(MirrorFactory):
    class Meta:
        model = models.SubscriptionItem

    payload = factory.SubFactory(SubscriptionItemPayloadFactory)


class SubscriptionFactory(MirrorFactory):
    """A subscription row and the rows of its items."""

    class Meta:
        model = models.Subscription

    payload = factory.SubFactory(SubscriptionPayloadFactory)

    @classmethod
    def _create(cls, model_class, payload: dict[str, Any], **columns: Any):
        subscription = super()._create(model_class, payload, **columns)
        for item in mappers.subscription_items(payload):
            SubscriptionItemFactory(payload=item)
        return subscription


class InvoiceFactory(MirrorFactory):
    class Meta:
        model = models.Invoice

    payload = factory.SubFactory(InvoicePayloadFactory)


class ActiveEntitlementFactory(MirrorFactory):
    class Meta:
        model = models.ActiveEntitlement

    payload = factory.SubFactory(ActiveEntitlementPayloadFactory)
