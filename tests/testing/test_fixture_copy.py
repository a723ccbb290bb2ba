"""The bundled copy of Stripe's fixtures (fake_stripe/stripe_fixtures.json), which every object the
fake serves is built from, keeps the keys of Stripe's own current fixtures (../shared/stripe/fixtures3.json)."""

import json
import re
from pathlib import Path

import pytest

from django_stripe.testing.fixtures import REMOVED_KEYS, bundled_fixture, fixture_names, stripe_fixture

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json"


def key_paths(value, prefix=""):
    """Every key path in a fixture (`items.data.price.recurring.interval`, ...): the shape without the values."""
    if isinstance(value, dict):
        return {path for key, child in value.items() for path in {prefix + key} | key_paths(child, f"{prefix}{key}.")}
    if isinstance(value, list):
        return {path for child in value for path in key_paths(child, prefix)}
    return set()


@pytest.fixture(scope="module")
def upstream():
    if not UPSTREAM.exists():
        pytest.skip(f"Stripe's fixtures are not at {UPSTREAM} (a checkout without ../shared)")
    return json.loads(UPSTREAM.read_text())["resources"]


@pytest.mark.parametrize("name", fixture_names())
def test_bundled_fixture_has_stripes_keys(upstream, name):
    assert name in upstream, f"{name} is not one of Stripe's fixtures any more"
    bundled = bundled_fixture(name)
    assert set(bundled) == set(upstream[name]), set(bundled) ^ set(upstream[name])
    assert key_paths(bundled) == key_paths(upstream[name]), key_paths(bundled) ^ key_paths(upstream[name])


@pytest.mark.parametrize("name", sorted(REMOVED_KEYS))
def test_the_current_shape_leaves_out_the_keys_the_api_version_dropped(name):
    assert set(stripe_fixture(name)) == set(bundled_fixture(name)) - REMOVED_KEYS[name]
    assert REMOVED_KEYS[name] <= set(bundled_fixture(name))  # a key Stripe's file no longer has: drop it here too


def test_every_object_type_the_fake_builds_is_bundled():
    # `shapes.build("invoice", ...)` starts each object from its fixture: the bundle must hold each of those.
    source = (Path(__file__).resolve().parents[2] / "fake_stripe").rglob("*.py")
    built = {name for path in source for name in re.findall(r'build\(\s*"([\w.]+)"', path.read_text())}
    assert built and built <= set(fixture_names()), built - set(fixture_names())
