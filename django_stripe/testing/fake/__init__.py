"""The old home of the fake Stripe, now the top-level package `fake_stripe`: this name and every submodule
name under it (`django_stripe.testing.fake.core`, `.resources.catalog`, ...) are the `fake_stripe` modules
themselves, so old imports keep working and see the same classes and state."""

import importlib
import pkgutil
import sys

import fake_stripe

# Modules the fake does not import itself and that need more than the fake (pytest) or run a program.
_NOT_ALIASED = frozenset({"fake_stripe.__main__", "fake_stripe.pytest_plugin"})


def _alias_submodules() -> None:
    for found in pkgutil.walk_packages(fake_stripe.__path__, "fake_stripe."):
        if found.name not in _NOT_ALIASED:
            module = importlib.import_module(found.name)
            sys.modules[__name__ + found.name.removeprefix("fake_stripe")] = module


_alias_submodules()
sys.modules[__name__] = fake_stripe
