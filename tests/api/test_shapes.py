"""One declaration per response shape (shapes.py): the serializer (the schema) and the plain function of the read
lists are both built from it, and answer alike for a shape of every kind of field."""

import pytest
from rest_framework import serializers as drf

from django_stripe.api import representations, serializers, shapes
from django_stripe.api.shapes import Field, Kind, Shape, maybe, required

INNER = Shape("ShapeTestInner", (required("flag", Kind.BOOLEAN), maybe("count", Kind.INTEGER)), reads_payload=False)
EVERY_KIND = Shape(
    "ShapeTestEveryKind",
    (
        required("id", Kind.TEXT),
        maybe("count", Kind.INTEGER),
        maybe("flag", Kind.BOOLEAN),
        maybe("anything", Kind.JSON),
        required("tags", Kind.TEXT_LIST),
        required("metadata", Kind.TEXT_DICT),
        required("inner", INNER),
        maybe("inners", INNER),
        Field("many", INNER, many=True, nullable=True, optional=True),
        Field("twice", Kind.TEXT, nullable=True, computed=lambda payload: payload["id"] * 2),
    ),
    prepare=lambda payload: {**payload, "count": payload.get("count", 7)},
)
PAYLOADS = [
    {"id": "x", "tags": ["a", 1, None], "metadata": {"k": 1, 2: None}, "inner": {"flag": "yes"}},
    {"id": 5, "flag": "null", "anything": [1, {"a": None}], "tags": [], "metadata": {}, "inner": None, "count": "3"},
    {"id": "y", "tags": None, "metadata": None, "inner": {"flag": 0, "count": 2.5}, "many": [{"flag": "off"}]},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_shape_of_every_kind_answers_alike_both_ways(payload):
    expected = serializers.serializer_for(EVERY_KIND)(payload).data
    assert representations.presenter(EVERY_KIND)(payload) == expected
    assert list(expected) == [field.name for field in EVERY_KIND.fields]


def test_a_missing_required_field_fails_both_ways():
    for present in (
        serializers.serializer_for(EVERY_KIND)({"id": "x"}).to_representation,
        representations.presenter(EVERY_KIND),
    ):
        with pytest.raises(KeyError):
            present({"id": "x"})


def test_the_api_serializers_are_the_shapes():
    for shape, serializer_class in [
        (shapes.PRICE, serializers.PriceSerializer),
        (shapes.PRODUCT, serializers.ProductSerializer),
        (shapes.INVOICE, serializers.InvoiceSerializer),
        (shapes.SUBSCRIPTION, serializers.SubscriptionSerializer),
        (shapes.CHECKOUT_SESSION, serializers.CheckoutSessionSerializer),
    ]:
        assert serializer_class.__name__ == f"{shape.name}Serializer"
        assert list(serializer_class().fields) == [field.name for field in shape.fields]
    nested = serializers.ProductSerializer().fields["prices"]
    assert isinstance(nested, drf.ListSerializer) and type(nested.child) is serializers.PriceSerializer
