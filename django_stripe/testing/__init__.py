"""Test support for projects using django-stripe, the Django side of the fake Stripe (the top-level package
`fake_stripe`, which needs no Django): the pytest plugin's settings glue, factory-boy factories, and catalogues put
into the fake (`catalogue`, `demo`, and `manage.py stripe_fake_seed` once "django_stripe.testing" is in
INSTALLED_APPS). `django_stripe.testing.fake`, `.server` and `.fixtures` are the old names of `fake_stripe`,
`fake_stripe.server` and `fake_stripe.fixtures`."""
