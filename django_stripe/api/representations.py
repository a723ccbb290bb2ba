"""The JSON of the read lists, built by plain functions from Stripe payloads, derived from the shapes of
shapes.py as the serializers are.

Each function answers exactly what its serializer answers for the same payload, field for field and value for
value (the same conversions: `str` for a CharField, `int` for an IntegerField, DRF's boolean rule; a missing
nullable field is null, a missing required one raises): tests/api/test_representations.py holds them side by
side. Why: profiled under gunicorn, DRF's serializers took about 90 µs per price of a list (field objects,
`get_attribute`, one `to_representation` call per field), more than half of the products list; these functions
take a few µs.

Each function is generated from its shape once, at import, as the source a hand-written one would be (one
dict display, a conversion call per field): a loop over the shape's fields at each row would cost about half
as much again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.fields import BooleanField

from . import shapes
from .shapes import Field, Kind, Shape

Payload = dict[str, Any]


def presenter(shape: Shape) -> Callable[[Payload], Payload]:
    """The plain function answering `shape` for a payload (for a shape with `prepare`, what it prepares)."""
    namespace: dict[str, Any] = {"prepare": shape.prepare}
    entries = [f"        {field.name!r}: {_value(field, namespace)}," for field in shape.fields]
    source = "\n".join(
        [
            "def present(payload):",
            f"    data = {'prepare(payload)' if shape.prepare else 'payload'}",
            "    return {",
            *entries,
            "    }",
        ]
    )
    exec(compile(source, f"<representation of {shape.name}>", "exec"), namespace)  # noqa: S102 - our own source
    present = namespace["present"]
    present.__name__ = present.__qualname__ = shape.name
    present.__doc__ = f"{shape.name}Serializer's answer for a payload, without DRF (generated from shapes.py)."
    present.source = source
    return present


def _value(field: Field, namespace: dict[str, Any]) -> str:
    """The expression of a field's value in the generated source; what it calls goes into `namespace`."""
    if field.computed is not None:
        namespace[f"compute_{field.name}"] = field.computed
        return f"compute_{field.name}(data)"
    read = f"data.get({field.name!r})" if field.nullable or field.optional else f"data[{field.name!r}]"
    convert = _conversion(field)
    if convert is None:
        return read
    namespace[f"convert_{field.name}"] = convert
    return f"convert_{field.name}({read})"


def _conversion(field: Field) -> Callable[[Any], Any] | None:
    """What DRF's field of `field` does to a value (None: nothing), None kept as None."""
    if isinstance(field.kind, Shape):
        nested = presenter(field.kind)
        return _each(nested) if field.many else _one(nested)
    if field.kind is Kind.BOOLEAN:
        return _nullable_bool if field.nullable else _bool
    return CONVERSIONS[field.kind]


# DRF's conversions; a None stays None (DRF's Serializer skips the field's conversion for None).


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _strings(values: Any) -> list | None:
    """ListField(child=CharField())."""
    return None if values is None else [None if value is None else str(value) for value in values]


def _string_dict(values: Any) -> dict | None:
    """DictField(child=CharField())."""
    return (
        None if values is None else {str(key): None if value is None else str(value) for key, value in values.items()}
    )


def _each(present: Callable[[Payload], Payload]) -> Callable[[Any], list | None]:
    """A nested serializer with many=True."""

    def each(values: Any) -> list | None:
        return None if values is None else [present(value) for value in values]

    return each


def _one(present: Callable[[Payload], Payload]) -> Callable[[Any], Payload | None]:
    """A nested serializer."""

    def one(value: Any) -> Payload | None:
        return None if value is None else present(value)

    return one


def _nullable_bool(value: Any) -> bool | None:
    return _boolean(value, nullable=True)


def _bool(value: Any) -> bool | None:
    return _boolean(value, nullable=False)


def _boolean(value: Any, nullable: bool) -> bool | None:
    """BooleanField.to_representation (`nullable`: allow_null), the same value sets."""
    if value is None or value is True or value is False:
        return value
    try:
        key = value.lower() if isinstance(value, str) else value
        if key in BooleanField.TRUE_VALUES:
            return True
        if key in BooleanField.FALSE_VALUES:
            return False
        if nullable and key in BooleanField.NULL_VALUES:
            return None
    except TypeError:  # unhashable: DRF falls through to bool() as well
        pass
    return bool(value)


CONVERSIONS: dict[Kind, Callable[[Any], Any] | None] = {
    Kind.TEXT: _str,
    Kind.INTEGER: _int,
    Kind.NUMBER: lambda value: None if value is None else float(value),
    Kind.JSON: None,
    Kind.TEXT_LIST: _strings,
    Kind.TEXT_DICT: _string_dict,
}

product = presenter(shapes.PRODUCT)
price = presenter(shapes.PRICE)
invoice = presenter(shapes.INVOICE)
payment_method = presenter(shapes.PAYMENT_METHOD)
subscription = presenter(shapes.SUBSCRIPTION)
usage = presenter(shapes.USAGE)
