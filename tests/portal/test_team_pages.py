"""The portal acting for a team (the tests select the team model themselves): the owner's pages under the team's
URL prefix link under it too, a member who may only read sees the team's billing without a button that writes
and every POST of theirs answers the 403 page, anyone outside the team gets a 404 for every page. The view gates
(`subscription_required`, `SubscriptionRequiredMixin`) let a member through while the team pays, in one query.
The team demo (`demo.py --team`) is tested with the demo, in test_demo.py."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import View

from django_stripe.client import get_client
from django_stripe.payments import SubscriptionRequiredMixin, subscription_required
from django_stripe.portal.acting import READ_ONLY
from tests.teams import assert_the_gate_follows_the_team, make_acme, team_billing

from .conftest import subscribe
from .test_pages import config_of

pytestmark = pytest.mark.django_db
WRITE_BUTTONS = ("data-ds-action=", "data-ds-billing-portal", "data-ds-go-to", "data-ds-confirm-change", "data-ds-card")


@pytest.fixture
def acme(settings):
    team_billing(settings)
    return make_acme()


@pytest.fixture
def paying(plans, acme):
    """Acme subscribed to the demo's first price, the owner's card saved as its default."""
    from django_stripe import payments

    payments.create_customer(acme.team)
    acme.team.refresh_from_db()
    subscription = subscribe(acme.team, plans["prices"][0])
    return {"subscription": subscription.id, "price": plans["prices"][0], **plans}


def pages(acme, paying):
    """Every page of the portal under the team's prefix, each as a GET."""
    prefix, sub = acme.prefix, paying["subscription"]
    return [
        f"{prefix}",
        f"{prefix}subscriptions/",
        f"{prefix}subscriptions/{sub}/change/?quantity=2",
        f"{prefix}checkout/{paying['prices'][1]}/",
        f"{prefix}setup-checkout/",
        f"{prefix}setup-checkout/{sub}/",
        f"{prefix}billing-portal/",
    ]


def posts(acme, paying):
    """Every page's POST, with the form it takes."""
    prefix, sub = acme.prefix, paying["subscription"]
    return [
        (f"{prefix}subscriptions/{sub}/change/", {"quantity": "2"}),
        (f"{prefix}checkout/{paying['prices'][1]}/", {}),
        (f"{prefix}setup-checkout/", {}),
        (f"{prefix}setup-checkout/{sub}/", {}),
        (f"{prefix}billing-portal/", {}),
    ]


def logged_in(client, user):
    client.force_login(user)
    return client


def test_the_owner_manages_the_team_under_its_prefix(client, acme, paying):
    owner = logged_in(client, acme.owner)
    response = owner.get(f"{acme.prefix}subscriptions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-ds-subscription="{paying["subscription"]}"' in html
    assert 'data-ds-action="cancel"' in html and "data-ds-billing-portal" in html
    # Every link keeps the prefix: the script's API, the other pages, the plan change, the Stripe pages.
    assert config_of(response)["urls"] == {
        "setupIntents": f"{acme.prefix}api/setup-intents/",
        "subscriptions": f"{acme.prefix}api/subscriptions/",
        "history": f"{acme.prefix}subscriptions/",
        "portal": acme.prefix,
    }
    assert f'href="{acme.prefix}subscriptions/{paying["subscription"]}/change/"' in html
    assert f'action="{acme.prefix}billing-portal/"' in html
    changed = owner.post(f"{acme.prefix}subscriptions/{paying['subscription']}/change/", {"quantity": "2"})
    assert (changed.status_code, changed["Location"]) == (302, f"{acme.prefix}subscriptions/")
    assert get_client().v1.subscriptions.retrieve(paying["subscription"])["items"].data[0].quantity == 2


def test_a_reader_sees_every_page_without_a_button_that_writes(client, acme, paying):
    reader = logged_in(client, acme.reader)
    for url in pages(acme, paying):
        response = reader.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert [button for button in WRITE_BUTTONS if button in html] == [], url
    history = reader.get(f"{acme.prefix}subscriptions/")
    html = history.content.decode()
    assert f'data-ds-subscription="{paying["subscription"]}"' in html and "data-ds-read-only" in html
    assert [invoice["status"] for invoice in history.context["invoices"]] == ["paid"]  # the team's invoice
    assert 'class="ds-status ds-status--paid"' in html
    preview = reader.get(f"{acme.prefix}subscriptions/{paying['subscription']}/change/?quantity=2")
    assert preview.context["preview"]["due_now"]  # the preview is a read: shown, the confirmation not


def test_every_post_of_a_reader_answers_the_403_page_and_changes_nothing(client, acme, paying):
    reader = logged_in(client, acme.reader)
    for url, form in posts(acme, paying):
        response = reader.post(url, form)
        assert response.status_code == 403, url
        assert READ_ONLY in response.content.decode()
        assert response["X-Frame-Options"] == "DENY"
    item = get_client().v1.subscriptions.retrieve(paying["subscription"])["items"].data[0]
    assert (item.price.id, item.quantity) == (paying["price"], 1)


def test_an_outsider_gets_a_404_for_every_page_of_the_team(client, acme, paying):
    outsider = logged_in(client, acme.outsider)
    for url in pages(acme, paying):
        assert outsider.get(url).status_code == 404, url
        assert outsider.get(url.replace(acme.prefix, "/teams/999999/billing/")).status_code == 404, url
    for url, form in posts(acme, paying):
        assert outsider.post(url, form).status_code == 404, url
    # Without a prefix, the outsider's pages are their own team's, which has no subscription.
    own = outsider.get("/subscriptions/")
    assert own.status_code == 200 and "data-ds-subscription" not in own.content.decode()


def test_without_a_prefix_the_pages_act_for_the_current_team(client, acme, paying):
    response = logged_in(client, acme.reader).get("/subscriptions/")
    assert f'data-ds-subscription="{paying["subscription"]}"' in response.content.decode()
    assert config_of(response)["urls"]["setupIntents"] == "/api/setup-intents/"
    acme.reader.memberships.all().delete()
    assert client.get("/subscriptions/").status_code == 404


@subscription_required(product_id="prod_pro")
def report(request):
    return HttpResponse("report")


class Report(SubscriptionRequiredMixin, View):
    product_id = "prod_pro"

    def get(self, request):
        return HttpResponse("report")


def gate_answer(view, user):
    request = RequestFactory().get("/report/")
    request.user = user
    try:
        return view(request).status_code
    except PermissionDenied:
        return 403


@pytest.mark.parametrize("view", [report, Report.as_view()], ids=["decorator", "mixin"])
def test_the_view_gates_let_a_member_through_while_the_team_pays(acme, view, django_assert_num_queries):
    assert_the_gate_follows_the_team(acme, lambda user: gate_answer(view, user), django_assert_num_queries)
