"""The library's exceptions are plain Python and Django (exceptions.py imports no REST framework); the catalog's
not-found and access-denied errors are built as their REST framework twins (api/errors.py), so that code
catching either family around a payments call keeps working."""

import pickle

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as rest_exceptions

from django_stripe.exceptions import StripeAccessDenied, StripeObjectNotFound


def test_the_not_found_error_is_both_families_with_its_message():
    error = StripeObjectNotFound("No such price: 'price_x'")
    assert isinstance(error, Http404) and isinstance(error, rest_exceptions.NotFound)
    assert str(error) == error.detail == "No such price: 'price_x'" and error.args == ("No such price: 'price_x'",)


def test_the_access_denied_error_is_both_families():
    error = StripeAccessDenied("Cannot access product prod_x")
    assert isinstance(error, PermissionDenied) and isinstance(error, rest_exceptions.PermissionDenied)
    assert error.detail == "Cannot access product prod_x"


def test_a_twin_survives_pickling():
    error = pickle.loads(pickle.dumps(StripeObjectNotFound("gone")))
    assert isinstance(error, StripeObjectNotFound) and isinstance(error, rest_exceptions.NotFound)
    assert str(error) == "gone"


def test_a_subclass_of_the_project_stays_its_own_class():
    """Only the library's class is built as its twin: a subclass is the project's, Django's family alone."""

    class ProductRetired(StripeObjectNotFound):
        pass

    error = ProductRetired("retired")
    assert type(error) is ProductRetired and isinstance(error, Http404)
