from contextlib import suppress

from django.apps import AppConfig


class DjangoStripeConfig(AppConfig):
    name = "django_stripe"
    label = "django_stripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: the system checks, and the Celery tasks, which webhooks/queue.py
        # publishes by name: registered in every process, web or worker.
        from django.db.models.signals import post_save

        from . import checks, tasks  # noqa: F401
        from .api.errors import add_rest_twins
        from .payments.access_cache import forget_cached_access
        from .payments.customers import sync_customer_details
        from .payments.meter_usage import refresh_after_send
        from .signals import customer_subscriptions_changed, usage_reports_sent

        # The catalog's not-found and access-denied errors are REST framework's too (api/errors.py).
        add_rest_twins()
        customer_subscriptions_changed.connect(forget_cached_access, dispatch_uid="django_stripe_access_cache")
        usage_reports_sent.connect(refresh_after_send, dispatch_uid="django_stripe_usage_refresh")
        for model in customer_holders():
            post_save.connect(
                sync_customer_details, sender=model, dispatch_uid=f"django_stripe_customer_{model._meta.label}"
            )


def customer_holders() -> set[type]:
    """The models whose rows hold a customer whose details follow theirs: the billable model
    (STRIPE_BILLABLE_MODEL), the user model (a user's own customer, as always), and every StripeBillable (so a
    team keeps its customer's details in step whichever model the settings name at the moment)."""
    from django.apps import apps
    from django.conf import settings

    from .billables import billable_model
    from .models import StripeBillable

    holders = {apps.get_model(settings.AUTH_USER_MODEL)}
    with suppress(LookupError, ValueError):  # STRIPE_BILLABLE_MODEL names no model: a system check says so
        holders.add(billable_model())
    holders.update(model for model in apps.get_models() if issubclass(model, StripeBillable))
    return holders
