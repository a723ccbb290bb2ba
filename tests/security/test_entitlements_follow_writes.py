"""`has_entitlement` follows the user's own writes, over real HTTP, with the entitlement webhooks held back.

Before the fix a user who cancelled their subscription through the API kept its features (`has_entitlement`
true) until `entitlements.active_entitlement_summary.updated` arrived, which may be minutes on a busy
endpoint, or never when a delivery is lost. The customer's entitlements are now read back from Stripe with
each subscription write, as the subscription itself is.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_stripe import payments

from .attacks import add_card, api_user, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_cancelling_ends_the_features_at_once(shop):
    shop["fake"].add_product_feature(shop["product"], "exports")
    user, session = api_user(shop)
    shop["fake"].delivery_mode = "queued"  # no webhook reaches us during the test
    subscription = subscribe(session, price_id=shop["month"], default_payment_method=add_card(session)).json()
    assert payments.has_entitlement(fresh(user), "exports") is True

    assert session.delete(f"{session.base}/subscriptions/{subscription['id']}/").status_code == 200
    assert payments.has_entitlement(fresh(user), "exports") is False

    shop["fake"].deliver_queued()  # the summaries, late and in order, change nothing
    assert payments.has_entitlement(fresh(user), "exports") is False
