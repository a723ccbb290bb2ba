from django.apps import AppConfig


class DjangoStripeConfig(AppConfig):
    name = "django_stripe"
    label = "django_stripe"
    verbose_name = "Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: system checks, and the receiver that clears cached access checks.
        from . import checks  # noqa: F401
        from .payments import access  # noqa: F401
