"""Stripe subscriptions for Django, read from a local mirror kept in step by webhooks."""

__version__ = "0.1.0"
