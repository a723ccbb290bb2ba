"""The old name of `fake_stripe.fixtures` (Stripe's example objects): importing it gives that module."""

import sys

import fake_stripe.fixtures

sys.modules[__name__] = fake_stripe.fixtures
