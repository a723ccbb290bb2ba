"""The public names of `django_stripe.payments`: the explicit ones listed, the old ones still importable."""

from django_stripe import payments
from django_stripe.payments import generic, mirror


def test_the_generic_verbs_have_explicit_names_and_keep_their_old_ones_as_aliases():
    for old, new in [
        ("retrieve", "retrieve_customer_object"),
        ("modify", "modify_customer_object"),
        ("delete", "delete_customer_object"),
    ]:
        assert {old, new} <= set(payments.__all__)
        assert getattr(payments, new) is getattr(generic, new)
        assert "Alias of" in getattr(payments, old).__doc__


def test_the_internal_sounding_names_are_importable_but_not_listed():
    from django_stripe.payments import owned, remember

    assert (owned, remember) == (mirror.find_owned_row, mirror.mirror_stripe_object)
    assert {"find_owned_row", "mirror_stripe_object"} <= set(payments.__all__)
    assert not {"owned", "remember"} & set(payments.__all__)


def test_every_listed_name_exists():
    assert [name for name in payments.__all__ if not hasattr(payments, name)] == []
