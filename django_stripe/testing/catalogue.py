"""A catalogue file: the products, prices and customers to put into the fake Stripe (or a test-mode account).

    {
      "products": [
        {
          "id": "prod_pro", "name": "Pro", "description": "Everything, monthly or yearly",
          "prices": [
            {"lookup_key": "pro-monthly", "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}},
            {"lookup_key": "pro-yearly", "currency": "usd", "unit_amount": 15000, "recurring": {"interval": "year"}}
          ]
        }
      ],
      "customers": [{"email": "jenny@example.com", "name": "Jenny Rosen", "payment_method": "pm_card_visa"}]
    }

A product's keys are Stripe's product parameters, and `prices`: each a price's parameters (its `product` is set
for you). A customer's keys are Stripe's customer parameters, and `payment_method`: a test PaymentMethod such as
`pm_card_visa`, attached and made the customer's default; `manage.py stripe_fake_seed` also takes `user`, the
username of the Django user to link the customer to. Seeding twice creates nothing twice: a product whose `id`,
a price whose `lookup_key` and a customer whose `email` is found already is used as it is.

`seed_catalogue(client, catalogue)` needs no Django: any `stripe.StripeClient` will do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stripe

SECTIONS = ("products", "customers")


class CatalogueError(ValueError):
    """The catalogue file is not one: the message says where."""


@dataclass
class Seeded:
    """One object of the catalogue at Stripe: `created` False when it was found there already."""

    object: Any
    created: bool
    entry: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.object.id


def load_catalogue(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The catalogue in the JSON file at `path`, checked; CatalogueError says what is wrong, and where."""
    try:
        catalogue = json.loads(Path(path).read_text())
    except OSError as error:
        raise CatalogueError(f"{path}: {error.strerror}") from None
    except ValueError as error:
        raise CatalogueError(f"{path}: not JSON ({error})") from None
    return check_catalogue(catalogue, str(path))


def check_catalogue(catalogue: Any, where: str = "catalogue") -> dict[str, list[dict[str, Any]]]:
    if not isinstance(catalogue, dict):
        raise CatalogueError(f"{where}: a JSON object with {' and/or '.join(SECTIONS)} is expected")
    unknown = set(catalogue) - set(SECTIONS)
    if unknown:
        raise CatalogueError(f"{where}: unknown section(s) {sorted(unknown)}; the sections are {list(SECTIONS)}")
    for section in SECTIONS:
        entries = catalogue.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise CatalogueError(f"{where}: {section} must be a list of objects")
    for number, product in enumerate(catalogue.get("products", []), 1):
        if not product.get("name"):
            raise CatalogueError(f"{where}: product {number} has no name")
        prices = product.get("prices", [])
        if not isinstance(prices, list) or not all(isinstance(price, dict) for price in prices):
            raise CatalogueError(f"{where}: the prices of product {number} must be a list of objects")
        for price in prices:
            if "product" in price or "product_data" in price:
                raise CatalogueError(f"{where}: a price of product {number} names a product: it is that product's")
    return {section: list(catalogue.get(section, [])) for section in SECTIONS}


def seed_catalogue(
    client: stripe.StripeClient, catalogue: dict[str, Any], on_seeded: Callable[[Seeded], None] | None = None
) -> list[Seeded]:
    """Create what the catalogue holds and Stripe does not, in order (each product, then its prices; then the
    customers). `on_seeded` is called with each object as soon as it exists (to mirror it, to print it)."""
    catalogue = check_catalogue(catalogue)
    seeded: list[Seeded] = []

    def done(item: Seeded) -> None:
        seeded.append(item)
        if on_seeded is not None:
            on_seeded(item)

    for entry in catalogue["products"]:
        product_params = {key: value for key, value in entry.items() if key != "prices"}
        product = _find_product(client, product_params.get("id"))
        done(Seeded(product or client.v1.products.create(params=product_params), product is None, entry))
        product_id = seeded[-1].id
        for price_entry in entry.get("prices", []):
            price = _find_price(client, price_entry.get("lookup_key"))
            if price is None:
                done(Seeded(client.v1.prices.create(params={**price_entry, "product": product_id}), True, price_entry))
            else:
                done(Seeded(price, False, price_entry))
    for entry in catalogue["customers"]:
        customer_params = {key: value for key, value in entry.items() if key not in ("payment_method", "user")}
        customer = _find_customer(client, customer_params.get("email"))
        created = customer is None
        if created:
            customer = client.v1.customers.create(params=customer_params)
        if entry.get("payment_method") and created:
            card = client.v1.payment_methods.attach(entry["payment_method"], params={"customer": customer.id})
            done(Seeded(card, True, {}))
            customer = client.v1.customers.update(
                customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
            )
        done(Seeded(customer, created, entry))
    return seeded


def _find_product(client: stripe.StripeClient, product_id: str | None) -> Any:
    if not product_id:
        return None
    try:
        return client.v1.products.retrieve(product_id)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise


def _find_price(client: stripe.StripeClient, lookup_key: str | None) -> Any:
    if not lookup_key:
        return None
    found = client.v1.prices.list(params={"lookup_keys": [lookup_key], "limit": 1}).data
    return found[0] if found else None


def _find_customer(client: stripe.StripeClient, email: str | None) -> Any:
    if not email:
        return None
    found = client.v1.customers.list(params={"email": email, "limit": 1}).data
    return found[0] if found else None


def describe(item: Seeded) -> str:
    """One line of what was seeded: `price  price_123  pro-monthly  15.00 usd / month  (created)`."""
    obj = item.object.to_dict() if hasattr(item.object, "to_dict") else item.object
    kind = obj["object"]
    if kind == "product":
        label = obj["name"]
    elif kind == "price":
        amount = (
            obj["currency"] if obj.get("unit_amount") is None else f"{obj['unit_amount'] / 100:.2f} {obj['currency']}"
        )
        every = f" / {obj['recurring']['interval']}" if obj.get("recurring") else ""
        label = f"{obj.get('lookup_key') or obj.get('nickname') or ''}  {amount}{every}".strip()
    elif kind == "customer":
        label = obj.get("email") or obj.get("name") or ""
    else:  # the customer's card
        card = obj.get("card") or {}
        label = f"{card.get('brand')} {card.get('last4')}" if card else kind
    return f"{kind:<15} {obj['id']}  {label}  ({'created' if item.created else 'already there'})"
