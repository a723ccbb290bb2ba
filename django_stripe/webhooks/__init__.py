"""Stripe webhooks: the endpoint (views), the handlers and the processing of stored events."""

from .registry import webhook_handler

__all__ = ["webhook_handler"]
