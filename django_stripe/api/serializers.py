"""The REST API's serializers: the response shapes built from their one declaration in shapes.py (the OpenAPI
schema, the writes and single objects), and the request bodies. Every response serializer of a payload shape
reads a Stripe payload (a mirrored `stripe_data` or an object Stripe just returned), so reads and writes
answer in the same shape."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import payments
from ..exceptions import StripeRequestRefused
from ..payments.payloads import payload_of
from .shapes import (
    BILLING_PORTAL,
    CHANGE_PREVIEW,
    CHECKOUT_SESSION,
    INVOICE,
    PAYMENT_METHOD,
    PRICE,
    PRODUCT,
    SETUP_INTENT,
    SUBSCRIPTION,
    SUBSCRIPTION_INFO,
    USAGE,
    Field,
    Kind,
    Shape,
)


class PayloadSerializer(serializers.Serializer):
    """Reads a mirror row's `stripe_data`, an SDK object or a payload dict alike."""

    shape: Shape

    def to_representation(self, instance: Any) -> dict[str, Any]:
        payload = payload_of(instance)
        prepare = self.shape.prepare
        return super().to_representation(payload if prepare is None else prepare(payload))


DRF_FIELDS: dict[Kind, Callable[..., serializers.Field]] = {
    Kind.TEXT: serializers.CharField,
    Kind.INTEGER: serializers.IntegerField,
    Kind.NUMBER: serializers.FloatField,
    Kind.BOOLEAN: serializers.BooleanField,
    Kind.JSON: serializers.JSONField,
    Kind.TEXT_LIST: lambda **options: serializers.ListField(child=serializers.CharField(), **options),
    Kind.TEXT_DICT: lambda **options: serializers.DictField(child=serializers.CharField(), **options),
}


@cache
def serializer_for(shape: Shape) -> type[serializers.Serializer]:
    """The serializer class of `shape`, named `<name>Serializer` (the schema's component `<name>`); one class
    per shape, so that a nested shape is the same component wherever it appears."""
    attributes: dict[str, Any] = {"__module__": __name__, "__qualname__": f"{shape.name}Serializer"}
    attributes["__doc__"] = shape.doc
    for field in shape.fields:
        if field.computed is None:
            attributes[field.name] = drf_field(field)
        else:
            attributes[field.name] = serializers.SerializerMethodField()
            attributes[f"get_{field.name}"] = _computed(field)
    if shape.reads_payload:
        return type(f"{shape.name}Serializer", (PayloadSerializer,), {**attributes, "shape": shape})
    return type(f"{shape.name}Serializer", (serializers.Serializer,), attributes)


def drf_field(field: Field, for_schema_only: bool = False) -> serializers.Field:
    """The DRF field of `field`: `nullable` is allow_null; `optional` reads a missing key as null (not required,
    default None)."""
    options: dict[str, Any] = {"allow_null": True} if field.nullable else {}
    if field.optional and not for_schema_only:
        options.update(required=False, default=None)
    if isinstance(field.kind, Shape):
        return serializer_for(field.kind)(many=field.many, **options)
    return DRF_FIELDS[field.kind](**options)


def _computed(field: Field) -> Callable[[Any, dict[str, Any]], Any]:
    """A SerializerMethodField's method answering `field.computed` of the payload, typed for the schema."""
    compute = field.computed

    def get(self, payload: dict[str, Any]) -> Any:
        return compute(payload)

    return extend_schema_field(drf_field(field, for_schema_only=True))(get)


SubscriptionInfoSerializer = serializer_for(SUBSCRIPTION_INFO)
PriceSerializer = serializer_for(PRICE)
UsageSerializer = serializer_for(USAGE)
ProductSerializer = serializer_for(PRODUCT)
InvoiceSerializer = serializer_for(INVOICE)
PaymentMethodSerializer = serializer_for(PAYMENT_METHOD)
SubscriptionSerializer = serializer_for(SUBSCRIPTION)
CheckoutSessionSerializer = serializer_for(CHECKOUT_SESSION)
BillingPortalSerializer = serializer_for(BILLING_PORTAL)
SetupIntentSerializer = serializer_for(SETUP_INTENT)
ChangePreviewSerializer = serializer_for(CHANGE_PREVIEW)


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


class PlanChangeSerializer(RequestSerializer):
    """A plan change (`preview/`, `change/`): a price, a quantity, or both."""

    price = serializers.CharField(max_length=255, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give a price, a quantity, or both.")
        return attrs


class NoFieldsSerializer(RequestSerializer):
    """A request that takes no fields (pause, unpause): any field sent is a 400, so that a client asking for a
    pause behavior of its own learns that the project chooses it."""


class PaymentMethodUpdateSerializer(RequestSerializer):
    set_as_default = serializers.BooleanField(default=False)
    billing_details = serializers.DictField(required=False)


class SetupCheckoutSerializer(RequestSerializer):
    subscription_id = serializers.CharField(max_length=255, required=False)
