"""pytest fixtures for projects using django-stripe: `pytest_plugins = ["django_stripe.testing.pytest_plugin"]`."""
