from django.apps import AppConfig


class DjangoStripeConfig(AppConfig):
    name = "django_stripe"
    label = "django_stripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: the system checks, and the Celery tasks, which webhooks/queue.py
        # publishes by name: registered in every process, web or worker.
        from django.conf import settings
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
        post_save.connect(sync_customer_details, sender=settings.AUTH_USER_MODEL, dispatch_uid="django_stripe_customer")
