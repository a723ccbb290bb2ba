from django.apps import AppConfig


class DjangoStripeConfig(AppConfig):
    name = "django_stripe"
    label = "django_stripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
