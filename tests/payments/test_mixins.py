"""SubscriptionRequiredMixin and EntitlementRequiredMixin on class-based views, through Django's test client: the
login page for anonymous users, 403 or `redirect_to` without access, the view with it."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from django_stripe.payments import EntitlementRequiredMixin, SubscriptionRequiredMixin
from django_stripe.signals import customer_subscriptions_changed
from django_stripe.testing.factories import ActiveEntitlementFactory, PricePayloadFactory, SubscriptionFactory
from django_stripe.views import EntitlementRequiredMixin as FromViews
from django_stripe.views import SubscriptionRequiredMixin as AlsoFromViews
from tests.markdown import marked_block, page

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PRODUCT, OTHER_PRODUCT = "prod_gold", "prod_addon"


class Ok(View):
    def get(self, request):
        return HttpResponse(f"ok {request.user.username}")


class Report(SubscriptionRequiredMixin, Ok):
    pass


class AddonReport(SubscriptionRequiredMixin, Ok):
    product_id = OTHER_PRODUCT
    redirect_to = "pricing"


class OwnLogin(SubscriptionRequiredMixin, Ok):
    login_url = "/sign-in/"
    redirect_field_name = "then"


class Exports(EntitlementRequiredMixin, Ok):
    lookup_key = "exports"


class ExportsOrPricing(EntitlementRequiredMixin, Ok):
    lookup_key = "exports"
    redirect_to = "/pricing/"


class NoFeatureNamed(EntitlementRequiredMixin, Ok):
    pass


class Page(SubscriptionRequiredMixin, TemplateView):
    template_name = "django_stripe/base.html"


urlpatterns = [
    path("report/", Report.as_view()),
    path("addon-report/", AddonReport.as_view()),
    path("own-login/", OwnLogin.as_view()),
    path("exports/", Exports.as_view()),
    path("exports-or-pricing/", ExportsOrPricing.as_view()),
    path("no-feature/", NoFeatureNamed.as_view()),
    path("pricing/", Ok.as_view(), name="pricing"),
    path("page/", Page.as_view()),
]


@pytest.fixture(autouse=True)
def default_product(settings):
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = PRODUCT
    settings.LOGIN_URL = "/accounts/login/"


@pytest.fixture
def logged_in(client, make_user):
    def log_in(customer_id: str | None = "cus_1"):
        user = make_user(stripe_customer_id=customer_id)
        client.force_login(user)
        return user

    return log_in


def subscribe(customer_id: str, product: str = PRODUCT) -> None:
    SubscriptionFactory(payload__customer=customer_id, payload__price=PricePayloadFactory(product=product))
    customer_subscriptions_changed.send(sender=None, customer_id=customer_id)  # what the sync sends: the cache


def test_the_mixins_are_exported_beside_the_decorator_and_the_views():
    assert (FromViews, AlsoFromViews) == (EntitlementRequiredMixin, SubscriptionRequiredMixin)


@pytest.mark.parametrize("url", ["/report/", "/addon-report/", "/exports/", "/exports-or-pricing/", "/page/"])
def test_anonymous_users_go_to_the_login_page(client, url):
    response = client.get(f"{url}?tab=2")
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}%3Ftab%3D2"


def test_a_view_names_its_own_login_page(client):
    response = client.get("/own-login/")
    assert (response.status_code, response.url) == (302, "/sign-in/?then=/own-login/")


def test_a_subscriber_sees_the_view_and_others_get_403(client, logged_in):
    logged_in()
    assert client.get("/report/").status_code == 403
    subscribe("cus_1")
    response = client.get("/report/")
    assert (response.status_code, response.content) == (200, b"ok alice")
    assert client.get("/page/").status_code == 200


def test_a_user_without_customer_gets_403(client, logged_in):
    logged_in(customer_id=None)
    assert client.get("/report/").status_code == 403


def test_product_id_names_the_product_and_redirect_to_where_the_others_go(client, logged_in):
    logged_in()
    subscribe("cus_1")  # to the default product, not the add-on
    response = client.get("/addon-report/")
    assert (response.status_code, response.url) == (302, "/pricing/")
    subscribe("cus_1", OTHER_PRODUCT)
    assert client.get("/addon-report/").status_code == 200


def test_free_access_counts(client, logged_in):
    from datetime import timedelta

    from django.utils import timezone

    user = logged_in()
    user.allowed_access_until = timezone.now() + timedelta(days=1)
    user.save()
    assert client.get("/report/").status_code == 200


def test_without_a_product_to_check_everyone_is_denied_and_it_is_logged_once(rf, make_user, settings, caplog):
    settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID = None

    class Misconfigured(SubscriptionRequiredMixin, Ok):  # a class of this test's own: its first log is this test's
        redirect_to = "/pricing/"

    request = rf.get("/report/")
    request.user = make_user(stripe_customer_id="cus_1")
    subscribe("cus_1")
    with caplog.at_level(logging.ERROR, logger="django_stripe.payments.access"):
        answers = [Misconfigured.as_view()(request) for _ in range(3)]
    assert [(answer.status_code, answer.url) for answer in answers] == [(302, "/pricing/")] * 3
    [denial] = [record.getMessage() for record in caplog.records if "denies every request" in record.getMessage()]
    assert "Misconfigured" in denial and "STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID" in denial


def test_an_entitlement_lets_its_holder_through(client, logged_in):
    logged_in()
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_other")
    response = client.get("/exports/")
    assert response.status_code == 403
    response = client.get("/exports-or-pricing/")
    assert (response.status_code, response.url) == (302, "/pricing/")
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_1")
    assert client.get("/exports/").status_code == 200
    assert client.get("/exports-or-pricing/").status_code == 200


def test_the_denial_says_what_is_missing(rf, make_user):
    request = rf.get("/exports/")
    request.user = make_user(stripe_customer_id="cus_1")
    view = Exports()
    view.setup(request)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="This needs the 'exports' feature."):
        view.dispatch(request)
    view = Report()
    view.setup(request)
    with pytest.raises(PermissionDenied, match="An active subscription is required."):
        view.dispatch(request)


def test_an_entitlement_mixin_without_a_lookup_key_is_a_configuration_error(client, logged_in):
    from django.core.exceptions import ImproperlyConfigured

    logged_in()
    with pytest.raises(ImproperlyConfigured, match="needs a lookup_key"):
        client.get("/no-feature/")


def readme_mixins() -> dict:
    """The docs' example of the mixins (the mirror page), run as a views module of a project."""
    code = marked_block("mirror.md", "readme: mixins")
    namespace = {"__name__": "readme_views"}
    exec(compile(code, str(page("mirror.md")), "exec"), namespace)  # noqa: S102 - the docs' own code
    return namespace


@pytest.mark.urls("example_project.urls")
def test_the_readmes_views(rf, make_user):
    views = readme_mixins()
    request = rf.get("/reports/")
    request.user = make_user(stripe_customer_id="cus_1")
    answer = views["ReportView"].as_view()(request)
    assert (answer.status_code, answer.url) == (302, reverse("subscription-portal"))
    subscribe("cus_1", "prod_pro")
    assert views["ReportView"].as_view()(request).status_code == 200
    with pytest.raises(PermissionDenied):
        views["ExportView"].as_view()(request)
    ActiveEntitlementFactory(payload__lookup_key="exports", customer_id="cus_1")
    assert views["ExportView"].as_view()(request).status_code == 200
