"""The REST API acting for a team (the tests select the team model themselves): the owner manages its billing
under the team's URL prefix, a member who may only read reads (and previews) but every write answers 403, and
anyone outside the team gets, for every endpoint of its objects, the 404 of a missing object. The DRF gates let a
member through while the team pays, in one query."""

import pytest
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from django_stripe.api.permissions import HasEntitlement, IsSubscribed
from django_stripe.api.views import READ_ONLY
from django_stripe.client import get_client
from django_stripe.exceptions import StripeWrongCustomer
from django_stripe.models import Subscription
from django_stripe.testing.factories import ActiveEntitlementFactory
from tests.teams import assert_the_gate_follows_the_team, make_acme, team_billing

from .test_permissions import status_for, view_with

pytestmark = pytest.mark.django_db
MISSING = {"detail": StripeWrongCustomer().args[0]}


@pytest.fixture
def acme(settings):
    team_billing(settings)
    return make_acme()


def client_of(user, **headers):
    client = APIClient(headers=headers)
    client.force_authenticate(user)
    return client


@pytest.fixture
def paying(synced_fake, catalogue, acme):
    """Acme subscribed to the monthly price by its owner, through the API under the team's prefix."""
    api = f"{acme.prefix}api/"
    owner = client_of(acme.owner)
    intent = owner.post(f"{api}setup-intents/")
    assert intent.status_code == 201, intent.content
    card = get_client().v1.setup_intents.confirm(intent.json()["id"], params={"payment_method": "pm_card_visa"})
    created = owner.post(
        f"{api}subscriptions/", {"price_id": catalogue["monthly"], "default_payment_method": card.payment_method}
    )
    assert created.status_code == 201, created.content
    return {"api": api, "subscription": created.json()["id"], "card": card.payment_method, **catalogue}


def writes(paying):
    """Every write endpoint, with a body it would take."""
    api, sub, card, yearly = paying["api"], paying["subscription"], paying["card"], paying["yearly"]
    return [
        ("post", f"{api}checkout/{paying['monthly']}/", None),
        ("post", f"{api}setup-checkout/", {}),
        ("post", f"{api}setup-checkout/{sub}/", None),
        ("post", f"{api}billing/", None),
        ("post", f"{api}setup-intents/", None),
        ("put", f"{api}payment-methods/{card}/", {"set_as_default": True}),
        ("delete", f"{api}payment-methods/{card}/", None),
        ("delete", f"{api}payment-methods/*/", None),
        ("post", f"{api}subscriptions/", {"price_id": yearly, "default_payment_method": card}),
        ("put", f"{api}subscriptions/{sub}/", {"cancel_at_period_end": True}),
        ("delete", f"{api}subscriptions/{sub}/", None),
        ("post", f"{api}subscriptions/{sub}/change/", {"price": yearly}),
        ("delete", f"{api}subscriptions/{sub}/scheduled-change/", None),
        ("post", f"{api}subscriptions/{sub}/pause/", {}),
        ("post", f"{api}subscriptions/{sub}/unpause/", {}),
    ]


def reads(paying):
    api, sub = paying["api"], paying["subscription"]
    return [
        ("get", f"{api}subscriptions/", None),
        ("get", f"{api}subscriptions/{sub}/", None),
        ("get", f"{api}invoices/", None),
        ("get", f"{api}payment-methods/", None),
        ("get", f"{api}payment-methods/{paying['card']}/", None),
        ("post", f"{api}subscriptions/{sub}/preview/", {"price": paying["yearly"]}),
    ]


def answer(client, method, path, data):
    return getattr(client, method)(path, data, format="json")


def test_the_owner_pays_for_the_team_not_for_themselves(paying, acme):
    acme.team.refresh_from_db()
    acme.owner.refresh_from_db()
    assert acme.team.stripe_customer_id and not acme.owner.stripe_customer_id
    row = Subscription.objects.get(id=paying["subscription"])
    assert (row.customer_id, row.status) == (acme.team.stripe_customer_id, "active")
    products = client_of(acme.owner).get(f"{paying['api']}products/").json()
    assert [product["subscription_info"]["subscribed"] for product in products] == [True]


def test_a_reader_reads_and_previews_the_team_billing(paying, acme):
    reader = client_of(acme.reader)
    for method, path, data in reads(paying):
        response = answer(reader, method, path, data)
        assert response.status_code == 200, (method, path, response.content)
    api = paying["api"]
    assert [row["id"] for row in reader.get(f"{api}subscriptions/").json()] == [paying["subscription"]]
    assert [row["status"] for row in reader.get(f"{api}invoices/").json()] == ["paid"]
    preview = reader.post(f"{api}subscriptions/{paying['subscription']}/preview/", {"quantity": 2})
    assert preview.json()["due_now"] > 0  # an upgrade, due now, which the preview only tells
    assert reader.get(f"{api}prices/{paying['monthly']}/").json()["subscription_info"]["subscribed"] is True


def test_every_write_of_a_reader_is_refused_and_changes_nothing(paying, acme):
    reader = client_of(acme.reader)
    for method, path, data in writes(paying):
        response = answer(reader, method, path, data)
        assert (response.status_code, response.json()) == (403, {"detail": READ_ONLY}), (method, path)
    subscription = get_client().v1.subscriptions.retrieve(paying["subscription"])
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", False)
    assert subscription["items"].data[0].price.id == paying["monthly"]
    acme.team.refresh_from_db()
    assert get_client().v1.payment_methods.retrieve(paying["card"]).customer == acme.team.stripe_customer_id
    assert Subscription.objects.filter(customer_id=acme.team.stripe_customer_id).count() == 1


def test_an_outsider_gets_the_answer_of_a_missing_object_for_everything(paying, acme):
    outsider = client_of(acme.outsider)
    for method, path, data in reads(paying) + writes(paying):
        response = answer(outsider, method, path, data)
        assert (response.status_code, response.json()) == (404, MISSING), (method, path)
        # A team that does not exist answers the same: the outsider cannot tell whether Acme exists.
        nowhere = answer(outsider, method, path.replace(acme.prefix, "/teams/999999/billing/"), data)
        assert (nowhere.status_code, nowhere.json()) == (404, MISSING), (method, path)
    # The catalogue is anyone's, and says nothing of Acme's subscription.
    products = outsider.get(f"{paying['api']}products/")
    assert products.status_code == 200
    assert [product["subscription_info"]["subscribed"] for product in products.json()] == [False]


def test_without_a_prefix_the_header_or_the_current_team_decides(paying, acme):
    reader, outsider = client_of(acme.reader), client_of(acme.outsider)
    assert [row["id"] for row in reader.get("/api/subscriptions/").json()] == [paying["subscription"]]
    assert outsider.get("/api/subscriptions/").json() == []  # their own team, Globex, which pays for nothing
    foreign = client_of(acme.outsider, **{"X-Team": str(acme.team.pk)}).get("/api/subscriptions/")
    assert (foreign.status_code, foreign.json()) == (404, MISSING)
    # The URL's team wins over the header: the reader cannot name Globex to escape Acme's answer.
    listed = client_of(acme.reader, **{"X-Team": str(acme.other_team.pk)}).get(f"{paying['api']}subscriptions/")
    assert [row["id"] for row in listed.json()] == [paying["subscription"]]
    refused = client_of(acme.reader, **{"X-Team": str(acme.other_team.pk)}).get("/api/subscriptions/")
    assert (refused.status_code, refused.json()) == (404, MISSING)


def test_a_user_without_a_team_acts_for_nothing(acme):
    acme.reader.memberships.all().delete()
    response = client_of(acme.reader).get("/api/invoices/")
    assert (response.status_code, response.json()) == (404, MISSING)
    assert client_of(acme.reader).get("/api/products/").status_code == 200


def test_is_subscribed_lets_a_member_through_while_the_team_pays(acme, django_assert_num_queries):
    view = view_with(IsSubscribed.for_product("prod_pro"))
    assert_the_gate_follows_the_team(acme, lambda user: status_for(view, user), django_assert_num_queries)


def test_has_entitlement_lets_a_member_through_while_the_team_has_it(acme, django_assert_num_queries):
    acme.team.stripe_customer_id = "cus_acme"
    acme.team.save()
    view = view_with(HasEntitlement.for_feature("exports"))
    entitlement = ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_acme")
    with django_assert_num_queries(1):
        assert status_for(view, acme.reader) == 200
    with django_assert_num_queries(1):
        assert status_for(view, acme.outsider) == 403
    entitlement.delete()
    with django_assert_num_queries(1):
        assert status_for(view, acme.reader) == 403


class OnePerPage(PageNumberPagination):
    page_size = 1


def test_a_page_links_to_the_next_under_the_team_prefix(paying, acme, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_PAGINATION_CLASS": OnePerPage}
    page = client_of(acme.reader).get(f"{paying['api']}prices/").json()
    assert len(page["results"]) == 1
    assert page["next"] == f"http://testserver{paying['api']}prices/?page=2"
