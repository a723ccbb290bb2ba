"""Request parameters as Stripe reads them: form-encoded, nested with brackets (`items[0][price]`,
`items[][price]`, `expand[]`, `metadata[key]`), plus helpers that coerce and validate single values."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import parameter_invalid, parameter_missing

_PART = re.compile(r"\[([^\[\]]*)\]")
Params = dict[str, Any]


def parse_form(*encoded: str) -> Params:
    """Decode one or more `a[b][0]=c` strings into nested dicts and lists."""
    root: dict[str, Any] = {}
    for text in encoded:
        for key, value in parse_qsl(text, keep_blank_values=True):
            _assign(root, _split_key(key), value)
    return _listify(root)


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_PART.findall("[" + rest)] if rest else [head]


def _assign(node: dict[str, Any], parts: list[str], value: str) -> None:
    """Rack-style assignment: `[]` appends, and a following `[x]` reuses the last element while `x` is new to it."""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "":
            part = str(len(node))
            if not last and node:
                previous = node[str(len(node) - 1)]
                if isinstance(previous, dict) and parts[index + 1] not in previous:
                    part = str(len(node) - 1)
        if last:
            node[part] = value
        else:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def require(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise parameter_missing(name)
    return value


def as_int(params: Params, name: str, default: int | None = None, *, required: bool = False) -> int | None:
    value = require(params, name) if required else params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise parameter_invalid(name, f"Invalid integer: {value}", "parameter_invalid_integer") from None


def as_str(params: Params, name: str, default: str | None = None) -> str | None:
    """A plain string parameter: `name[a]=b` or `name[0]=b` where a string belongs is Stripe's 400."""
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise parameter_invalid(name, f"Invalid string: {name} must be a string, not an object or an array.")
    return value


def as_strings(params: Params, name: str) -> list[str]:
    """An array of strings (`ids[]`, `types[]`): an element that is an object is Stripe's 400."""
    values = as_list(params, name)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            param = f"{name}[{index}]"
            raise parameter_invalid(param, f"Invalid string: {param} must be a string, not an object or an array.")
    return values


def as_bool(params: Params, name: str, default: bool | None = None) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise parameter_invalid(name, f"Invalid boolean: {value}", "parameter_invalid_boolean")


def as_list(params: Params, name: str) -> list[Any]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise parameter_invalid(name, f"Invalid array: {name}", "parameter_invalid_array")
    return [value]


def as_objects(params: Params, name: str) -> list[dict[str, Any]]:
    """An array of hashes (`items[0][price]=...`): `items=abc` or `items[0]=abc` is Stripe's 400, not a crash."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise parameter_invalid(name, f"Invalid array: {name}", "parameter_invalid_array")
    for index, element in enumerate(value):
        if not isinstance(element, dict):
            param = f"{name}[{index}]"
            raise parameter_invalid(param, f"Invalid object: {param}", "parameter_invalid_object")
    return value


def as_dict(params: Params, name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise parameter_invalid(name, f"Invalid object: {name}", "parameter_invalid_object")
    return value


def one_of(params: Params, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    value = params.get(name, default)
    if value is not None and value not in choices:
        raise parameter_invalid(
            name, f"Invalid {name}: must be one of {', '.join(choices)}", "parameter_invalid_string"
        )
    return value


def merge_metadata(current: dict[str, str], params: Params) -> dict[str, str]:
    """Stripe's metadata update: keys are merged, an empty value removes a key, `metadata=""` clears all."""
    if "metadata" not in params:
        return current
    update = params["metadata"]
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise parameter_invalid("metadata", "Invalid object: metadata", "parameter_invalid_object")
    merged = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            # `metadata[a][b]=1`: Stripe's metadata is flat, its values strings only.
            raise parameter_invalid(
                f"metadata[{key}]", f"Invalid string: metadata[{key}] must be a string, not a nested object."
            )
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def created_bounds(params: Params, name: str = "created") -> tuple[int | None, int | None] | None:
    """`created=...` or `created[gt|gte|lt|lte]=...` as a half-open range `[from, to)` (None: unbounded on that
    side), or None when not filtered: what lets the store skip straight to the range (`Store.page`)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        exact = as_int(params, name)
        return None if exact is None else (exact, exact + 1)
    given = {op: as_int(value, op) for op in ("gt", "gte", "lt", "lte")}
    lows = [bound + (op == "gt") for op, bound in given.items() if bound is not None and op in ("gt", "gte")]
    highs = [bound + (op == "lte") for op, bound in given.items() if bound is not None and op in ("lt", "lte")]
    return (max(lows) if lows else None, min(highs) if highs else None)


def created_filter(params: Params, name: str = "created") -> Any:
    """A predicate for `created=123` or `created[gt]=...&created[lte]=...`, or None when not filtered."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        exact = as_int(params, name)
        return lambda ts: ts == exact
    given = {op: as_int(value, op) for op in ("gt", "gte", "lt", "lte")}
    bounds = {op: bound for op, bound in given.items() if bound is not None}  # `created[gt]=` bounds nothing
    checks = {
        "gt": lambda ts, b: ts > b,
        "gte": lambda ts, b: ts >= b,
        "lt": lambda ts, b: ts < b,
        "lte": lambda ts, b: ts <= b,
    }
    return lambda ts: all(checks[op](ts, bound) for op, bound in bounds.items())
