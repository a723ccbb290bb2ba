"""An offline, stateful fake Stripe that the official SDK talks to, in-process or over HTTP.

from django_stripe.testing.fake import FakeStripe

fake = FakeStripe()
client = stripe.StripeClient("sk_test_fake", http_client=fake.http_client())
product = client.v1.products.create({"name": "Pro"})
"""

from .core import API_VERSION, FakeStripe
from .errors import StripeError
from .webhooks import Delivery, sign

__all__ = ["API_VERSION", "Delivery", "FakeStripe", "StripeError", "sign"]
