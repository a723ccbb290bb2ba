"""Attacks over real HTTP on the ways a request names the team it acts for (the URL's `team_id`, the `X-Team`
header): a selector that is no team id never reaches the database as one (no 500), a member who may only read
cannot write through any of them, and an outsider gets the 404 of a missing object whichever they use."""

from __future__ import annotations

import pytest

from tests.teams import make_acme, team_billing

from .attacks import log_in

pytestmark = pytest.mark.django_db(transaction=True)
# Team ids that are not one (a header is Latin-1): "²" and "³" are digits to str.isdigit() and no number to
# int(); the long one overflows a bigint.
NOT_TEAM_IDS = ("²", "³", "abc", "-1", "1.0", "1e3", "9" * 40, "1 OR 1=1", "0x1")


@pytest.fixture
def acme(shop, settings):
    team_billing(settings)
    return make_acme()


def test_a_selector_that_is_no_team_id_answers_404_never_500(shop, acme):
    reader = log_in(shop["url"], "reader", "pw")
    for value in NOT_TEAM_IDS:
        for path in ("/api/subscriptions/", "/subscriptions/", "/billing-portal/"):
            answer = reader.get(f"{shop['url']}{path}", headers={"X-Team": value})
            assert answer.status_code == 404, (value, path, answer.status_code)
    for prefix in ("/teams/abc/billing/", "/teams/99999999999999999999999999/billing/", "/teams/-1/billing/"):
        for path in ("api/subscriptions/", "subscriptions/"):
            assert reader.get(f"{shop['url']}{prefix}{path}").status_code == 404, (prefix, path)


def test_a_reader_cannot_write_through_the_prefix_nor_the_header(shop, acme):
    reader = log_in(shop["url"], "reader", "pw")
    url, team = shop["url"], str(acme.team.pk)
    for base, headers in ((f"{url}{acme.prefix}", {}), (f"{url}/", {"X-Team": team}), (f"{url}/", {})):
        refused = reader.post(f"{base}api/subscriptions/", json={"price_id": shop["month"]}, headers=headers)
        assert refused.status_code == 403, (base, headers, refused.text)
        assert reader.post(f"{base}api/setup-intents/", headers=headers).status_code == 403
        assert reader.post(f"{base}billing-portal/", headers=headers).status_code == 403
        assert reader.get(f"{base}api/subscriptions/", headers=headers).json() == []
    acme.team.refresh_from_db()
    assert not acme.team.stripe_customer_id  # no write reached Stripe: not even a customer was made


def test_an_outsider_gets_404_whichever_way_they_name_the_team(shop, acme):
    outsider = log_in(shop["url"], "outsider", "pw")
    url = shop["url"]
    for base, headers in ((f"{url}{acme.prefix}", {}), (f"{url}/", {"X-Team": str(acme.team.pk)})):
        for method, path in (("get", "api/subscriptions/"), ("post", "api/setup-intents/"), ("get", "subscriptions/")):
            answer = getattr(outsider, method)(f"{base}{path}", headers=headers)
            assert answer.status_code == 404, (base, method, path)
    # The outsider's own team is theirs to manage.
    assert outsider.post(f"{url}/api/setup-intents/").status_code == 201
