"""Invoice items: a customer's charges and credits outside a subscription's own lines (the prorations of an
update, its `add_invoice_items`). Pending until an invoice of their subscription takes them in as lines,
first in that invoice; retrieve and list them."""

from __future__ import annotations

from ..lists import Check
from ..params import Params, as_bool
from ..protocol import Fake
from ..resource import Resource, created_between, equal
from ..shapes import build
from ..store import StripeObject


def _pending(params: Params) -> Check | None:
    """`pending=true`: the items on no invoice yet (`false`: those on one)."""
    pending = as_bool(params, "pending")
    return (lambda item: (item["invoice"] is None) == pending) if pending is not None else None


invoice_items = Resource(
    "invoiceitem",
    "/v1/invoiceitems",
    noun="invoiceitem",
    # An invoice item has a `date`, no `created`.
    filters=(_pending, created_between("date"), equal("customer"), equal("invoice")),
)


def add_invoice_item(fake: Fake, item: StripeObject) -> StripeObject:
    """Keep `item` (of `invoice_item_object`) as a pending invoice item of its customer, with its
    `invoiceitem.created`."""
    fake.store.add(item, owner=item["customer"])
    invoice_items.emit(fake, "created", item)
    return item


def invoice_item_object(
    fake: Fake,
    subscription: StripeObject,
    price: StripeObject,
    quantity: int,
    amount: int,
    description: str,
    period: tuple[int, int],
    subscription_item: str | None = None,
    proration: bool = False,
) -> StripeObject:
    """A pending invoice item of the subscription's customer, not stored yet (`add_invoice_item` keeps it; a
    preview's lines are made from these)."""
    return build(
        "invoiceitem",
        amount=amount,
        currency=price["currency"],
        customer=subscription["customer"],
        customer_account=None,
        date=fake.now(),
        description=description,
        discountable=not proration,  # "Always false for prorations"
        discounts=[],
        id=fake.store.new_id("ii_", 24),
        invoice=None,
        livemode=False,
        metadata={},
        net_amount=amount,
        parent={
            "subscription_details": {"subscription": subscription["id"], "subscription_item": subscription_item},
            "type": "subscription_details",
        },
        period={"end": period[1], "start": period[0]},
        pricing={
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": str(price["unit_amount"]),
        },
        proration=proration,
        quantity=quantity,
        quantity_decimal=str(quantity),
        tax_rates=[],
        test_clock=None,
    )


def pending_items(fake: Fake, subscription: StripeObject) -> list[StripeObject]:
    """The subscription's invoice items that no invoice has taken yet, oldest first."""
    return [
        item
        for item in reversed(fake.store.owned_by(subscription["customer"], "invoiceitem"))
        if item["invoice"] is None and item["parent"]["subscription_details"]["subscription"] == subscription["id"]
    ]


def release(items: list[StripeObject]) -> None:
    """Give invoice items back to the next invoice (their invoice was voided before it could bill them)."""
    for item in items:
        item["invoice"] = None


def line_of(fake: Fake, item: StripeObject, invoice_id: str) -> StripeObject:
    """The invoice line of an invoice item, which the invoice `invoice_id` now holds."""
    item["invoice"] = invoice_id
    details = item["parent"]["subscription_details"]
    subscription_item = details["subscription_item"]
    common = {
        "invoice_item": item["id"],
        "proration": item["proration"],
        "proration_details": {"credited_items": None},
        "subscription": details["subscription"],
    }
    if subscription_item:
        parent = {
            "invoice_item_details": None,
            "subscription_item_details": {**common, "subscription_item": subscription_item},
            "type": "subscription_item_details",
        }
    else:
        parent = {"invoice_item_details": common, "subscription_item_details": None, "type": "invoice_item_details"}
    return build(
        "line_item",
        amount=item["amount"],
        currency=item["currency"],
        description=item["description"],
        discount_amounts=[],
        discountable=item["discountable"],
        discounts=[],
        id=fake.store.new_id("il_", 24),
        invoice=invoice_id,
        livemode=False,
        metadata={},
        parent=parent,
        period=dict(item["period"]),
        pretax_credit_amounts=[],
        pricing=dict(item["pricing"]),
        quantity=item["quantity"],
        quantity_decimal=item["quantity_decimal"],
        subscription=details["subscription"],
        subtotal=item["amount"],
        taxes=[],
    )
