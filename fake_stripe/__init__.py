"""An offline, stateful fake Stripe that the official SDK talks to, in-process or over HTTP. It needs no Django.

from fake_stripe import FakeStripe

fake = FakeStripe()
client = stripe.StripeClient("sk_test_fake", http_client=fake.http_client())
product = client.v1.products.create({"name": "Pro"})

Over HTTP: `python -m fake_stripe --port 12111` (see `fake_stripe.server`), or `FakeStripeServer(fake).start()`.
pytest fixtures for any project: `pytest_plugins = ["fake_stripe.pytest_plugin"]`.
"""

from .core import API_VERSION, FakeStripe
from .dunning import Dunning
from .errors import StripeError
from .ratelimit import RateLimit
from .server import FakeStripeServer
from .webhooks import Delivery, sign

__all__ = ["API_VERSION", "Delivery", "Dunning", "FakeStripe", "FakeStripeServer", "RateLimit", "StripeError", "sign"]
