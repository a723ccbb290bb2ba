"""A member's access through their team: where teams pay, `is_subscribed(user)` and `has_entitlement(user)` answer
through every team the user belongs to (STRIPE_BILLABLE_MEMBERS), in one query, and never through a team the
user is not in."""

import pytest
from accounts.models import Membership, Team
from django.contrib.auth.models import AnonymousUser

from django_stripe import payments
from django_stripe.payments.access_cache import subscription_cache
from django_stripe.testing.factories import ActiveEntitlementFactory, PricePayloadFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

PRODUCT = "prod_team"


@pytest.fixture(autouse=True)
def teams(settings):
    settings.STRIPE_BILLABLE_MODEL = "accounts.Team"
    settings.STRIPE_BILLABLE_MEMBERS = "members"
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT


def subscribe(customer_id, status="active", product=PRODUCT):
    return SubscriptionFactory(
        payload__customer=customer_id, payload__status=status, payload__price=PricePayloadFactory(product=product)
    )


def team_of(user, customer_id="cus_team", role=Membership.MEMBER, name="Acme"):
    team = Team.objects.create(name=name, stripe_customer_id=customer_id)
    Membership.objects.create(team=team, user=user, role=role)
    return team


def test_a_member_has_the_access_the_team_pays_for_in_one_query(make_user, django_assert_num_queries):
    member = make_user("member")
    team = team_of(member)
    subscription = subscribe("cus_team")
    with django_assert_num_queries(1):
        assert payments.is_subscribed(member) is True
    with django_assert_num_queries(1):
        info = payments.is_subscribed_and_cancelled_time(member, PRODUCT)
    assert info["sub_id"] == subscription.id and info["evaluation"] is False
    with django_assert_num_queries(1):
        assert payments.is_subscribed(team) is True  # the team itself: its own customer, as a user's


def test_a_user_outside_the_team_has_none_of_its_access(make_user, django_assert_num_queries):
    team_of(make_user("member"))
    subscribe("cus_team")
    outsider = make_user("outsider")
    team_of(outsider, customer_id="cus_other", name="Other")  # in another team, which pays for nothing
    with django_assert_num_queries(1):
        assert payments.is_subscribed(outsider) is False
    assert payments.is_subscribed_and_cancelled_time(outsider)["sub_id"] is None
    with django_assert_num_queries(1):
        assert payments.has_entitlement(outsider, "seats") is False


def test_any_of_the_users_teams_gives_access(make_user):
    member = make_user("member")
    team_of(member, customer_id="cus_free", name="Free")
    team_of(member, customer_id="cus_paid", name="Paid")
    assert payments.is_subscribed(member) is False
    subscribe("cus_paid")
    assert payments.is_subscribed(member) is True
    assert payments.is_subscribed(member, "prod_other") is False


def test_the_users_own_customer_still_counts(make_user, django_assert_num_queries):
    member = make_user("member", stripe_customer_id="cus_own")
    team_of(member)
    subscribe("cus_own")
    with django_assert_num_queries(1):
        assert payments.is_subscribed(member) is True


def test_access_ends_with_the_membership_and_with_the_subscription(make_user):
    member = make_user("member")
    team = team_of(member)
    subscription = subscribe("cus_team")
    assert payments.is_subscribed_with_cache(member) is True
    Membership.objects.filter(team=team, user=member).delete()
    assert payments.is_subscribed_with_cache(member) is False  # never a cached answer of the member's
    Membership.objects.create(team=team, user=member)
    subscription.status = "canceled"
    subscription.save()
    subscription.items.update(deleted=True)
    assert payments.is_subscribed_with_cache(member) is False


def test_the_member_path_is_answered_uncached_and_the_teams_cached(make_user, django_assert_num_queries):
    member = make_user("member")
    team = team_of(member)
    subscribe("cus_team")
    for _ in range(2):
        with django_assert_num_queries(1):
            assert payments.is_subscribed_with_cache(member) is True
    with django_assert_num_queries(1):
        assert payments.is_subscribed_with_cache(team) is True
    with django_assert_num_queries(0):
        assert payments.is_subscribed_with_cache(team) is True
    assert subscription_cache().get("django_stripe:access:cus_team") is not None


def test_a_team_without_a_customer_gives_no_access(make_user):
    member = make_user("member")
    team_of(member, customer_id=None)
    subscribe("cus_someone")
    assert payments.is_subscribed(member) is False


def test_entitlements_through_the_team(make_user, django_assert_num_queries):
    member = make_user("member")
    team = team_of(member)
    ActiveEntitlementFactory(customer_id="cus_team", lookup_key="seats")
    with django_assert_num_queries(1):
        assert payments.has_entitlement(member, "seats") is True
    with django_assert_num_queries(1):
        assert payments.has_entitlement(team, "seats") is True
    assert payments.has_entitlement(member, "sso") is False


def test_without_members_setting_a_user_has_only_their_own_customer(make_user, settings):
    settings.STRIPE_BILLABLE_MEMBERS = None
    member = make_user("member")
    team_of(member)
    subscribe("cus_team")
    assert payments.is_subscribed(member) is False
    assert payments.is_subscribed(Team.objects.get(stripe_customer_id="cus_team")) is True


def test_a_lookup_through_the_membership_rows(make_user, settings):
    settings.STRIPE_BILLABLE_MEMBERS = "memberships__user"
    member = make_user("member")
    team_of(member)
    subscribe("cus_team")
    assert payments.is_subscribed(member) is True
    assert payments.is_subscribed(make_user("outsider")) is False


def test_an_anonymous_user_has_no_access_and_costs_no_query(django_assert_num_queries):
    subscribe("cus_team")
    with django_assert_num_queries(0):
        assert payments.is_subscribed(AnonymousUser()) is False
        assert payments.has_entitlement(AnonymousUser(), "seats") is False


def test_the_gates_let_a_member_through(make_user, rf):
    member = make_user("member")
    team_of(member)

    @payments.subscription_required
    def view(request):
        return "ok"

    request = rf.get("/")
    request.user = member
    with pytest.raises(Exception, match="subscription is required"):
        view(request)
    subscribe("cus_team")
    assert view(request) == "ok"


def test_on_the_user_model_nothing_changes(make_user, settings, django_assert_num_queries):
    """While users are the billables, STRIPE_BILLABLE_MEMBERS is not followed: a user's own customer decides."""
    settings.STRIPE_BILLABLE_MODEL = None
    member = make_user("member")
    team_of(member)
    subscribe("cus_team")
    with django_assert_num_queries(0):
        assert payments.is_subscribed(member) is False  # no customer of their own: no query, as always


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_members_pk_binds_on_postgresql_server_side(make_user):
    """The precompiled check sends the user's pk as a text parameter: cast in SQL to the pk's type, it compares
    with the integer column under psycopg's server-side binding too (where `integer = text` is an error)."""
    from django.db import connection

    member = make_user("member")
    team_of(member)
    subscribe("cus_team")
    options = connection.settings_dict.setdefault("OPTIONS", {})
    connection.close()
    options["server_side_binding"] = True
    try:
        assert payments.is_subscribed(member) is True
        assert payments.is_subscribed(make_user("outsider")) is False
        assert payments.has_entitlement(member, "seats") is False
        assert connection.connection.cursor_factory.__name__ == "ServerBindingCursor"
    finally:
        connection.close()
        options.pop("server_side_binding")
