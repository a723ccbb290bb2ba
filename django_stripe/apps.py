from django.apps import AppConfig


class DjangoStripeConfig(AppConfig):
    name = "django_stripe"
    label = "django_stripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: system checks, the receiver that clears cached access checks, and the
        # Celery tasks, which webhooks/queue.py publishes by name: registered in every process, web or worker.
        from django.conf import settings
        from django.db.models.signals import post_save

        from . import checks, tasks  # noqa: F401
        from .api.errors import add_rest_twins
        from .payments import access  # noqa: F401
        from .payments.customers import sync_customer_details

        # The catalog's not-found and access-denied errors are REST framework's too (api/errors.py).
        add_rest_twins()
        post_save.connect(sync_customer_details, sender=settings.AUTH_USER_MODEL, dispatch_uid="django_stripe_customer")
