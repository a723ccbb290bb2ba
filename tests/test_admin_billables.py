"""The Customer admin shows which billable holds each customer (a team, or a user), linking to its admin page,
with no query per row."""

import pytest
from accounts.models import Team
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_stripe.admin import admin_url
from django_stripe.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


@pytest.fixture
def teams(settings):
    settings.STRIPE_BILLABLE_MODEL = "accounts.Team"


def changelist_queries(admin_client) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:django_stripe_customer_changelist"))
    assert response.status_code == 200
    return len(queries), response.content


def test_the_list_links_each_customer_to_its_team_in_one_query(admin_client, teams):
    team = Team.objects.create(name="Acme", stripe_customer_id="cus_team")
    factories.CustomerFactory(payload__id="cus_team")
    factories.CustomerFactory(payload__id="cus_nobody")
    one, content = changelist_queries(admin_client)
    assert admin_url(Team, str(team.pk)).encode() in content

    for number in range(5):
        Team.objects.create(name=f"Team {number}", stripe_customer_id=f"cus_more{number}")
        factories.CustomerFactory(payload__id=f"cus_more{number}")
    more, content = changelist_queries(admin_client)
    assert more == one  # no query per row
    assert all(admin_url(Team, str(team.pk)).encode() in content for team in Team.objects.all())


def test_the_change_page_shows_the_holder(admin_client, teams):
    team = Team.objects.create(name="Acme", stripe_customer_id="cus_team")
    factories.CustomerFactory(payload__id="cus_team")
    response = admin_client.get(admin_url(factories.CustomerFactory._meta.model, "cus_team"))
    assert response.status_code == 200
    assert admin_url(Team, str(team.pk)).encode() in response.content


def test_on_the_user_model_the_holder_is_the_user(admin_client, make_user):
    user = make_user("alice", stripe_customer_id="cus_alice")
    factories.CustomerFactory(payload__id="cus_alice")
    _, content = changelist_queries(admin_client)
    assert admin_url(get_user_model(), str(user.pk)).encode() in content


def test_a_holder_whose_model_is_not_in_the_admin_is_named_without_a_link(admin_client, teams, monkeypatch):
    from django.contrib import admin

    monkeypatch.setitem(admin.site._registry, Team, admin.site._registry[Team])
    del admin.site._registry[Team]
    Team.objects.create(name="Acme", stripe_customer_id="cus_team")
    factories.CustomerFactory(payload__id="cus_team")
    _, content = changelist_queries(admin_client)
    assert f"team {Team.objects.get().pk}".encode() in content
    assert admin_url(Team, str(Team.objects.get().pk)).encode() not in content
