"""What the fake's billing tests share: a client over real HTTP, a catalogue of monthly prices, a customer with
a card, and a subscription started now (the `billing` fixture is conftest's)."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from fake_stripe import FakeStripe


@dataclass
class Billing:
    fake: FakeStripe
    client: stripe.StripeClient
    basic: str
    pro: str
    yearly: str

    def customer(self, card: str = "pm_card_visa") -> str:
        return self.client.v1.customers.create({"email": "ana@example.com", "payment_method": card}).id

    def subscribe(self, price: str | None = None, quantity: int = 1, card: str = "pm_card_visa") -> stripe.Subscription:
        customer = self.customer(card)
        return self.client.v1.subscriptions.create(
            {"customer": customer, "items": [{"price": price or self.basic, "quantity": quantity}]}
        )

    def types(self) -> list[str]:
        return [event["type"] for event in self.fake.events]
