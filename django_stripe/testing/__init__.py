"""Test support: Stripe-shaped payloads and factories, and (see `fake`) an offline, stateful Stripe."""
