from django.apps import AppConfig


class DjangoStripeTestingConfig(AppConfig):
    """`"django_stripe.testing"` in INSTALLED_APPS: the development commands (`stripe_fake_seed`), kept out of the
    production app so that nothing in `django_stripe` itself imports the testing tools or the fake."""

    name = "django_stripe.testing"
    label = "django_stripe_testing"  # "testing" alone would clash with a project's own app of that name
    verbose_name = "Stripe (testing tools)"
