"""Every response shape of the REST API, declared once: its fields in order, each with its kind, whether it may be
null and whether a missing key reads as null. Both answers are derived from these tables: the serializers
(serializers.py: the OpenAPI schema, the writes and single objects) and the plain functions of the read lists
(representations.py: the same JSON without a DRF field object per row). A new field is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..payments.payloads import invoice_subscription, subscription_fields

Payload = dict[str, Any]


class Kind(Enum):
    """What a field holds, as the answer renders it (a DRF field in serializers.py, a conversion in
    representations.py)."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # a float: a meter's aggregated value
    BOOLEAN = "boolean"
    JSON = "json"  # any JSON, answered as found
    TEXT_LIST = "text list"
    TEXT_DICT = "text dict"  # an object of text values: Stripe's metadata


@dataclass(frozen=True)
class Field:
    """One field of a shape. `kind` is a Kind, or a Shape for a nested object (`many`: a list of them).

    `nullable`: the value may be null. `optional`: a missing key reads as null too (the field is then not
    required in the schema). `computed`: the value is computed from the whole payload instead of read from
    the key `name`, and answered as it is computed (a read-only field in the schema)."""

    name: str
    kind: Kind | Shape
    nullable: bool = False
    optional: bool = False
    many: bool = False
    computed: Callable[[Payload], Any] | None = None


@dataclass(frozen=True)
class Shape:
    """A response shape: `name` names its serializer (`<name>Serializer`) and the schema's component.

    `reads_payload`: answered from a Stripe payload (a mirror row's `stripe_data`, an object Stripe just
    returned, or a payload dict). `prepare`: what the fields are read from, made of the payload. `doc`: the
    component's description in the schema (else the serializer base's)."""

    name: str
    fields: tuple[Field, ...]
    reads_payload: bool = True
    prepare: Callable[[Payload], Payload] | None = None
    doc: str | None = None


def required(name: str, kind: Kind | Shape, **options: Any) -> Field:
    """A field always present (a missing key fails, as a broken payload should)."""
    return Field(name, kind, **options)


def maybe(name: str, kind: Kind | Shape) -> Field:
    """A field that may be null or missing (read as null)."""
    return Field(name, kind, nullable=True, optional=True)


def with_subscription_fields(payload: Payload) -> Payload:
    """A subscription's payload with what it answers beyond its own fields (its first item's product, price
    and quantity, its period and references: `payments.payloads.subscription_fields`)."""
    return {**payload, **subscription_fields(payload)}


SUBSCRIPTION_INFO = Shape(
    "SubscriptionInfo",
    (
        required("subscribed", Kind.BOOLEAN),
        required("cancel_at", Kind.INTEGER, nullable=True),
        required("current_period_end", Kind.INTEGER, nullable=True),
    ),
    reads_payload=False,
)

PRICE = Shape(
    "Price",
    (
        required("id", Kind.TEXT),
        required("product", Kind.TEXT),
        required("type", Kind.TEXT),
        maybe("recurring", Kind.JSON),
        required("currency", Kind.TEXT),
        maybe("unit_amount", Kind.INTEGER),
        maybe("unit_amount_decimal", Kind.TEXT),
        maybe("nickname", Kind.TEXT),
        maybe("lookup_key", Kind.TEXT),
        required("metadata", Kind.TEXT_DICT),
        required("subscription_info", SUBSCRIPTION_INFO),
    ),
)

# A metered price beside its usage: the price's own fields, without what the catalogue adds for the reader.
METERED_PRICE = Shape(
    "MeteredPrice", tuple(field for field in PRICE.fields if field.name not in ("subscription_info",))
)

USAGE = Shape(
    "Usage",
    (
        required("meter", Kind.TEXT),
        required("event_name", Kind.TEXT),
        required("display_name", Kind.TEXT),
        required("formula", Kind.TEXT),
        required("value", Kind.NUMBER),
        required("counted", Kind.NUMBER),
        required("unsent", Kind.NUMBER),
        required("period_start", Kind.INTEGER, nullable=True),
        required("period_end", Kind.INTEGER, nullable=True),
        required("price", METERED_PRICE, nullable=True),
    ),
    reads_payload=False,
    doc="Your usage of one meter this billing period (what its invoice will bill, under the meter's formula): "
    "`counted` by Stripe when last read, `unsent` reported here and not counted by Stripe yet, beside the "
    "metered price that bills it.",
)

PRODUCT = Shape(
    "Product",
    (
        required("id", Kind.TEXT),
        required("name", Kind.TEXT),
        maybe("description", Kind.TEXT),
        required("images", Kind.TEXT_LIST),
        required("metadata", Kind.TEXT_DICT),
        maybe("shippable", Kind.BOOLEAN),
        maybe("type", Kind.TEXT),
        maybe("unit_label", Kind.TEXT),
        maybe("url", Kind.TEXT),
        required("prices", PRICE, many=True),
        required("subscription_info", SUBSCRIPTION_INFO),
    ),
)

INVOICE = Shape(
    "Invoice",
    (
        required("id", Kind.TEXT),
        maybe("number", Kind.TEXT),
        maybe("status", Kind.TEXT),
        maybe("currency", Kind.TEXT),
        maybe("amount_due", Kind.INTEGER),
        maybe("amount_paid", Kind.INTEGER),
        maybe("amount_remaining", Kind.INTEGER),
        maybe("billing_reason", Kind.TEXT),
        maybe("created", Kind.INTEGER),
        maybe("hosted_invoice_url", Kind.TEXT),
        maybe("invoice_pdf", Kind.TEXT),
        maybe("next_payment_attempt", Kind.INTEGER),
        Field("subscription", Kind.TEXT, nullable=True, computed=invoice_subscription),
    ),
)

PAYMENT_METHOD = Shape(
    "PaymentMethod",
    (
        required("id", Kind.TEXT),
        required("type", Kind.TEXT),
        maybe("billing_details", Kind.JSON),
        maybe("card", Kind.JSON),
        maybe("created", Kind.INTEGER),
        maybe("default", Kind.BOOLEAN),  # the customer's default payment method: set by payments
    ),
)

SCHEDULED_CHANGE = Shape(
    "ScheduledChange",
    (required("price", Kind.TEXT), required("quantity", Kind.INTEGER), required("at", Kind.INTEGER)),
    reads_payload=False,
    doc="A change waiting for the renewal (a downgrade): the price and quantity the subscription moves to, and when.",
)

SUBSCRIPTION = Shape(
    "Subscription",
    (
        required("id", Kind.TEXT),
        maybe("created", Kind.INTEGER),
        required("status", Kind.TEXT),
        maybe("product", Kind.TEXT),
        maybe("price", Kind.TEXT),
        maybe("quantity", Kind.INTEGER),
        maybe("cancel_at", Kind.INTEGER),
        maybe("cancel_at_period_end", Kind.BOOLEAN),
        maybe("canceled_at", Kind.INTEGER),
        maybe("current_period_start", Kind.INTEGER),
        maybe("current_period_end", Kind.INTEGER),
        maybe("days_until_due", Kind.INTEGER),
        maybe("default_payment_method", Kind.TEXT),
        maybe("latest_invoice", Kind.TEXT),
        maybe("start_date", Kind.INTEGER),
        maybe("trial_start", Kind.INTEGER),
        maybe("trial_end", Kind.INTEGER),
        maybe("scheduled_change", SCHEDULED_CHANGE),
        required("paused", Kind.BOOLEAN),  # collection paused (pause_collection): no access by default
    ),
    prepare=with_subscription_fields,
    doc="The subscription shape of the original API: product, price and period of its (first) item, as epoch seconds.",
)

PREVIEW_LINE = Shape(
    "ChangePreviewLine",
    (
        required("amount", Kind.INTEGER),
        required("description", Kind.TEXT, nullable=True),
        required("proration", Kind.BOOLEAN),
        required("period_start", Kind.INTEGER, nullable=True),
        required("period_end", Kind.INTEGER, nullable=True),
    ),
    reads_payload=False,
)

CHANGE_PREVIEW = Shape(
    "ChangePreview",
    (
        required("due_now", Kind.INTEGER),
        required("next_renewal", Kind.INTEGER),
        required("currency", Kind.TEXT),
        required("at_renewal", Kind.INTEGER),
        required("is_downgrade", Kind.BOOLEAN),
        required("lines", PREVIEW_LINE, many=True),
    ),
    reads_payload=False,
    doc="What a plan change costs: due now (0 for a downgrade waiting for the renewal) and at the next renewal "
    "(`at_renewal`, epoch seconds), in the currency's smallest unit; the lines of the invoice charged first.",
)

CHECKOUT_SESSION = Shape("CheckoutSession", (required("id", Kind.TEXT), maybe("url", Kind.TEXT)), reads_payload=False)

BILLING_PORTAL = Shape("BillingPortal", (required("url", Kind.TEXT),), reads_payload=False)

SETUP_INTENT = Shape(
    "SetupIntent",
    (
        required("id", Kind.TEXT),
        required("client_secret", Kind.TEXT),
        required("payment_method_types", Kind.TEXT_LIST),
    ),
    reads_payload=False,
)
