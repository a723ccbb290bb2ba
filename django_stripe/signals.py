"""Signals sent by django-stripe. Every signal is sent with `sender` set to the model class or view."""

from django.dispatch import Signal

# Sent after a webhook event has been applied: kwargs `event` (WebhookEvent).
webhook_event_processed = Signal()
# Sent when the mirror changed a customer's subscriptions: kwargs `customer_id`.
customer_subscriptions_changed = Signal()

# Sent by the functions of django_stripe.payments after a write (kwargs `user` and the Stripe object).
new_customer = Signal()
customer_modified = Signal()
checkout_created = Signal()
billing_portal_created = Signal()
setup_intent_created = Signal()
payment_method_detached = Signal()
payment_method_modified = Signal()
subscription_created = Signal()
subscription_modified = Signal()
subscription_cancelled = Signal()

# Sent once a send of the usage outbox committed: kwargs `reports` (the UsageReport rows Stripe took).
usage_reports_sent = Signal()
