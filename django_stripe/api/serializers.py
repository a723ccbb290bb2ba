"""Response shapes of the REST API. Every serializer reads a Stripe payload (a mirrored `stripe_data`
or an object Stripe just returned), so reads and writes answer in the same shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import payments
from ..exceptions import StripeRequestRefused
from ..payments.payloads import invoice_subscription, payload_of, subscription_fields


class PayloadSerializer(serializers.Serializer):
    """Reads a mirror row's `stripe_data`, an SDK object or a payload dict alike."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(payload_of(instance))


def nullable(field_class: type[serializers.Field], **kwargs: Any) -> serializers.Field:
    """An output field that reads a missing key as null."""
    return field_class(allow_null=True, required=False, default=None, **kwargs)


class SubscriptionInfoSerializer(serializers.Serializer):
    subscribed = serializers.BooleanField()
    cancel_at = serializers.IntegerField(allow_null=True)
    current_period_end = serializers.IntegerField(allow_null=True)


class PriceSerializer(PayloadSerializer):
    id = serializers.CharField()
    product = serializers.CharField()
    type = serializers.CharField()
    recurring = nullable(serializers.JSONField)
    currency = serializers.CharField()
    unit_amount = nullable(serializers.IntegerField)
    unit_amount_decimal = nullable(serializers.CharField)
    nickname = nullable(serializers.CharField)
    lookup_key = nullable(serializers.CharField)
    metadata = serializers.DictField(child=serializers.CharField())
    subscription_info = SubscriptionInfoSerializer()


class ProductSerializer(PayloadSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = nullable(serializers.CharField)
    images = serializers.ListField(child=serializers.CharField())
    metadata = serializers.DictField(child=serializers.CharField())
    shippable = nullable(serializers.BooleanField)
    type = nullable(serializers.CharField)
    unit_label = nullable(serializers.CharField)
    url = nullable(serializers.CharField)
    prices = PriceSerializer(many=True)
    subscription_info = SubscriptionInfoSerializer()


class InvoiceSerializer(PayloadSerializer):
    id = serializers.CharField()
    number = nullable(serializers.CharField)
    status = nullable(serializers.CharField)
    currency = nullable(serializers.CharField)
    amount_due = nullable(serializers.IntegerField)
    amount_paid = nullable(serializers.IntegerField)
    amount_remaining = nullable(serializers.IntegerField)
    billing_reason = nullable(serializers.CharField)
    created = nullable(serializers.IntegerField)
    hosted_invoice_url = nullable(serializers.CharField)
    invoice_pdf = nullable(serializers.CharField)
    next_payment_attempt = nullable(serializers.IntegerField)
    subscription = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_subscription(self, payload: dict[str, Any]) -> str | None:
        return invoice_subscription(payload)


class PaymentMethodSerializer(PayloadSerializer):
    id = serializers.CharField()
    type = serializers.CharField()
    billing_details = nullable(serializers.JSONField)
    card = nullable(serializers.JSONField)
    created = nullable(serializers.IntegerField)
    default = nullable(serializers.BooleanField)


class SubscriptionSerializer(PayloadSerializer):
    """The subscription shape of the original API: product, price and period of its (first) item, as epoch seconds."""

    id = serializers.CharField()
    created = nullable(serializers.IntegerField)
    status = serializers.CharField()
    product = nullable(serializers.CharField)
    price = nullable(serializers.CharField)
    quantity = nullable(serializers.IntegerField)
    cancel_at = nullable(serializers.IntegerField)
    cancel_at_period_end = nullable(serializers.BooleanField)
    canceled_at = nullable(serializers.IntegerField)
    current_period_start = nullable(serializers.IntegerField)
    current_period_end = nullable(serializers.IntegerField)
    days_until_due = nullable(serializers.IntegerField)
    default_payment_method = nullable(serializers.CharField)
    latest_invoice = nullable(serializers.CharField)
    start_date = nullable(serializers.IntegerField)
    trial_start = nullable(serializers.IntegerField)
    trial_end = nullable(serializers.IntegerField)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        payload = payload_of(instance)
        return super().to_representation({**payload, **subscription_fields(payload)})


class CheckoutSessionSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = nullable(serializers.CharField)


class BillingPortalSerializer(serializers.Serializer):
    url = serializers.CharField()


class SetupIntentSerializer(serializers.Serializer):
    id = serializers.CharField()
    client_secret = serializers.CharField()
    payment_method_types = serializers.ListField(child=serializers.CharField())


# Request bodies


class RequestSerializer(serializers.Serializer):
    """A request body: a field this API does not take is a 400 naming it, never silently dropped, so that a
    client asking for what is the server's decision (a trial, a discount) learns it was not granted."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError({name: ["This field is not accepted."] for name in unknown})
        return super().to_internal_value(data)


class SubscriptionCreateSerializer(RequestSerializer):
    price_id = serializers.CharField(max_length=255)
    default_payment_method = serializers.CharField(max_length=255, required=False)
    set_as_default_payment_method = serializers.BooleanField(default=False)
    promotion_code = serializers.CharField(max_length=255, required=False)

    def validate_promotion_code(self, value: str) -> str:
        # The decision is the payments layer's; refused here, it is answered under the field's name together
        # with the request's other field errors.
        try:
            return payments.check_promotion_code(value)
        except StripeRequestRefused as refused:
            raise serializers.ValidationError(str(refused)) from None


class SubscriptionUpdateSerializer(RequestSerializer):
    default_payment_method = serializers.CharField(max_length=255, required=False)
    set_as_default_payment_method = serializers.BooleanField(default=False)
    cancel_at_period_end = serializers.BooleanField(required=False)
    price_id = serializers.CharField(max_length=255, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)


class PaymentMethodUpdateSerializer(RequestSerializer):
    set_as_default = serializers.BooleanField(default=False)
    billing_details = serializers.DictField(required=False)


class SetupCheckoutSerializer(RequestSerializer):
    subscription_id = serializers.CharField(max_length=255, required=False)
