"""The REST API. Reads answer from the mirror; writes call `django_stripe.payments`, which checks that the
billable owns every object they name. Another billable's object answers 404, exactly like a missing one.

Every request acts for one billable (`billable_for_request`: by default the logged-in user; a project billing
teams names the team in the URL, a header or the user's current team) and its user has a role there
(`billing_role`), both resolved once in `initial()` and kept on the view (`billable`, `role`); every payments
call is given the billable, never `request.user`. On every endpoint of a customer's objects:

- no billable, or a user without a role for it: 404 with the message of an object that is not the customer's
  (StripeWrongCustomer), for a team that exists as for one that does not (an outsider learns nothing of it);
- READ (a member who may read the team's billing): the reads (GET, HEAD, OPTIONS: subscriptions, invoices,
  payment methods) and the plan change preview, which asks Stripe what a change would cost and changes
  nothing, bills nothing and creates nothing; every other write (checkout sessions, the billing portal, setup
  intents, payment methods, subscribing, changing, cancelling, pausing) answers 403 with a message;
- MANAGE: everything.

The catalogue (products, prices) needs no billable: anyone logged in reads it, with what the billable is
subscribed to when the user has a role there.

The API may be mounted under a project's own prefix (`path("teams/<int:team_id>/billing/api/", ...)`): the
views ignore URL kwargs they do not know (the project's STRIPE_BILLABLE_FOR_REQUEST reads them from
`request.resolver_match`), and the links they answer (a page's `next`) are relative to the request."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import payments
from ..billables import MANAGE, READ_ONLY, Role, billable_for_request, billing_role
from ..exceptions import StripeWrongCustomer
from ..models import Invoice, Price, Product, Subscription
from . import filters, representations, serializers
from .errors import as_api_exception
from .pagination import FromRestFrameworkSettings, Pager
from .schema import StripeAutoSchema, extend_schema
from .throttling import StripeWriteThrottle

ALL = "*"
ANY, JSON = "*/*", "application/json"
# The URL kwargs of the package's own URLs (django_stripe/urls.py), which the handlers take; a project's prefix
# may add others (`team_id`), which they ignore.
URL_KWARGS = frozenset({"obj_id", "price_id", "subscription_id"})


class StripeAPIView(GenericAPIView):
    """Authenticated, write-throttled, and Stripe's errors answered as 400/402/404/503."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [StripeWriteThrottle]
    throttle_scope = "django_stripe"
    # The project's REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"], read at each request; None: bare arrays.
    pagination_class = FromRestFrameworkSettings("DEFAULT_PAGINATION_CLASS")
    filter_backends: list = []
    schema = StripeAutoSchema()
    lookup_url_kwarg = "obj_id"
    # Whether the view serves a billable's own objects (False for the catalogue, which anyone may read).
    for_billable = True
    # The methods the READ role may use: the reads, and on a view that changes nothing, its POST (the preview).
    read_methods: frozenset[str] = frozenset(SAFE_METHODS)
    billable: Any = None
    role: Role | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().dispatch(request, *args, **{name: kwargs[name] for name in URL_KWARGS.intersection(kwargs)})

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _refuse_nul(kwargs, request)
        self.billable = billable_for_request(request)
        self.role = billing_role(request.user, self.billable)
        if self.for_billable:
            self.check_role(request)

    def check_role(self, request: Request) -> None:
        """404 for a request acting for no billable, or for one its user has no role in; 403 for a write by a
        user who may only read."""
        if self.role is None:
            raise NotFound(StripeWrongCustomer().args[0])
        if self.role != MANAGE and request.method not in self.read_methods:
            raise PermissionDenied(READ_ONLY)

    @property
    def catalogue_billable(self) -> Any:
        """Whose subscriptions the catalogue marks: the billable, when the user has a role there, else none."""
        return self.billable if self.role is not None else None

    def get_object(self):
        # Objects are found through the ownership check of django_stripe.payments, never DRF's lookup; DRF's
        # OPTIONS metadata asks for one anyway.
        raise NotFound()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RecursionError):
            # JSON nested thousands deep: DRF's JSONParser only turns ValueError into a 400 (ParseError).
            exc = ParseError("JSON parse error - nested too deeply")
        return super().handle_exception(as_api_exception(exc))

    def validated(self, serializer_class: type, data: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # Nearly every API client asks for JSON, or for anything: DRF's answer to those is the first renderer
        # when that one is JSON, found here without parsing media types (about 70 µs a request). Any other
        # request (a browser asking for HTML, `?format=api`) is negotiated by DRF as ever.
        renderers = self.get_renderers()
        first = renderers[0] if renderers else None
        if (
            first is not None
            and first.media_type == JSON
            and request.META.get("HTTP_ACCEPT", ANY) in (ANY, JSON)
            and self.format_kwarg is None
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, JSON
        return super().perform_content_negotiation(request, force)

    def filters(self, filterset_class: type) -> dict[str, Any]:
        params = filters.filter_params(self.request)
        if not params:
            return {}  # nothing to validate: a FilterSet's form costs about 0.7 ms to build
        filterset = filterset_class(data=params, request=self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "", [])}

    def listed(
        self, payloads_of: Callable[..., list[dict[str, Any]]], present: Callable, *args: Any, **kwargs: Any
    ) -> Response:
        """The list `payloads_of(billable, *args, **kwargs)` made with `present`: a page of it in the paginator's
        envelope when the view has a paginator (see pagination.py), else a bare array. The catalogue's views
        list for `catalogue_billable`, the others for their billable."""
        pager = Pager(self) if self.paginator is not None else None
        billable = self.billable if self.for_billable else self.catalogue_billable
        data = [present(payload) for payload in payloads_of(billable, *args, paginate=pager, **kwargs)]
        return self.get_paginated_response(data) if pager and pager.paged else Response(data)


OBJ_ID = OpenApiParameter("obj_id", str, OpenApiParameter.PATH, required=False)


class StripeProductsView(StripeAPIView):
    """Active products with their prices and whether you are subscribed. Filter: `ids`."""

    serializer_class = serializers.ProductSerializer
    queryset = Product.objects.none()
    for_billable = False

    def get(self, request: Request, obj_id: str | None = None) -> Response:
        if obj_id:
            return Response(self.get_serializer(payments.retrieve_product(self.catalogue_billable, obj_id)).data)
        return self.listed(payments.get_products, representations.product, **self.filters(filters.ProductFilter))


class StripePricesView(StripeAPIView):
    """Active prices with whether you are subscribed. Filters: `currency`, `product`."""

    serializer_class = serializers.PriceSerializer
    queryset = Price.objects.none()
    for_billable = False

    def get(self, request: Request, obj_id: str | None = None) -> Response:
        if obj_id:
            return Response(self.get_serializer(payments.retrieve_price(self.catalogue_billable, obj_id)).data)
        return self.listed(payments.get_prices, representations.price, **self.filters(filters.PriceFilter))


class StripePriceCheckoutView(StripeAPIView):
    """Start a Stripe Checkout subscribing you to the price; redirect with Stripe.js `redirectToCheckout`."""

    serializer_class = serializers.CheckoutSessionSerializer

    @extend_schema(request=None, responses={201: serializers.CheckoutSessionSerializer})
    def post(self, request: Request, price_id: str) -> Response:
        session = payments.create_subscription_checkout(self.billable, price_id)
        return Response(self.get_serializer(session).data, status=status.HTTP_201_CREATED)


class StripeSetupCheckoutView(StripeAPIView):
    """Start a Stripe Checkout in setup mode to save a payment method (optionally for one subscription)."""

    serializer_class = serializers.CheckoutSessionSerializer

    @extend_schema(request=serializers.SetupCheckoutSerializer, responses={201: serializers.CheckoutSessionSerializer})
    def post(self, request: Request, subscription_id: str | None = None) -> Response:
        subscription_id = subscription_id or self.validated(serializers.SetupCheckoutSerializer, request.data).get(
            "subscription_id"
        )
        session = payments.create_payment_method_checkout(self.billable, subscription_id)
        return Response(self.get_serializer(session).data, status=status.HTTP_201_CREATED)


class StripeBillingPortalView(StripeAPIView):
    """Open a Stripe Billing Portal session and get its URL."""

    serializer_class = serializers.BillingPortalSerializer

    @extend_schema(request=None, responses={201: serializers.BillingPortalSerializer})
    def post(self, request: Request) -> Response:
        session = payments.create_billing_portal(self.billable)
        return Response(self.get_serializer(session).data, status=status.HTTP_201_CREATED)


class StripeSetupIntentView(StripeAPIView):
    """Create a SetupIntent; confirm it in the browser with Stripe.js `confirmCardSetup(client_secret)`."""

    serializer_class = serializers.SetupIntentSerializer

    @extend_schema(request=None, responses={201: serializers.SetupIntentSerializer})
    def post(self, request: Request) -> Response:
        setup_intent = payments.create_setup_intent(self.billable)
        return Response(self.get_serializer(setup_intent).data, status=status.HTTP_201_CREATED)


class StripeInvoiceView(StripeAPIView):
    """Your invoices, newest first. Filters: `status`, `subscription`."""

    serializer_class = serializers.InvoiceSerializer
    queryset = Invoice.objects.none()

    @extend_schema(parameters=[OBJ_ID])
    def get(self, request: Request, obj_id: str | None = None) -> Response:
        if obj_id:
            invoice = payments.find_owned_row(self.billable, Invoice, obj_id, fetch_missing=False)
            return Response(self.get_serializer(invoice).data)
        wanted = self.filters(filters.InvoiceFilter)
        return self.listed(
            payments.invoice_payloads, representations.invoice, wanted.get("status"), wanted.get("subscription")
        )


class StripeUsageView(StripeAPIView):
    """Your usage of each meter this billing period, beside the metered price that bills it. Read-only: usage is
    reported by the server (`payments.report_usage`), never through the API."""

    serializer_class = serializers.UsageSerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        billable = billable_for_request(request)
        if billing_role(request.user, billable) is None:
            raise NotFound()
        return Response([representations.usage(usage_answer(usage)) for usage in payments.usage_this_period(billable)])


def usage_answer(usage: payments.Usage) -> dict[str, Any]:
    return {**usage.as_dict(), "price": usage.price.stripe_data if usage.price is not None else None}


class StripePaymentMethodView(StripeAPIView):
    """Your payment methods (`default` marks the customer's default). PUT changes one; DELETE detaches one,
    or all with the id `*`."""

    serializer_class = serializers.PaymentMethodSerializer

    def get(self, request: Request, obj_id: str | None = None) -> Response:
        if obj_id:
            return Response(self.get_serializer(payments.retrieve_payment_method(self.billable, obj_id)).data)
        return self.listed(payments.payment_method_payloads, representations.payment_method)

    @extend_schema(request=serializers.PaymentMethodUpdateSerializer)
    def put(self, request: Request, obj_id: str | None = None) -> Response:
        changes = self.validated(serializers.PaymentMethodUpdateSerializer, request.data)
        payments.modify_payment_method(self.billable, _required(obj_id), **changes)
        return Response(self.get_serializer(payments.retrieve_payment_method(self.billable, obj_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, obj_id: str | None = None) -> Response:
        if _required(obj_id) == ALL:
            payments.detach_all_payment_methods(self.billable)
        else:
            payments.detach_payment_method(self.billable, obj_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StripeSubscriptionView(StripeAPIView):
    """Your subscriptions. POST subscribes (`price_id`, `default_payment_method`,
    `set_as_default_payment_method`, and `promotion_code` when the project allows them; a trial is the
    project's to grant, never asked for); PUT changes one; DELETE cancels it now and answers the result.
    Lists leave out cancelled subscriptions unless `?status=canceled` (or `all`) asks for them."""

    serializer_class = serializers.SubscriptionSerializer
    queryset = Subscription.objects.none()

    @extend_schema(parameters=[OpenApiParameter("status", str, required=False)])
    def get(self, request: Request, obj_id: str | None = None) -> Response:
        if obj_id:
            subscription = payments.find_owned_row(self.billable, Subscription, obj_id, fetch_missing=False)
            return Response(self.get_serializer(subscription).data)
        wanted = filters.filter_params(request).get("status")
        return self.listed(payments.subscription_payloads, representations.subscription, wanted)

    @extend_schema(
        request=serializers.SubscriptionCreateSerializer, responses={201: serializers.SubscriptionSerializer}
    )
    def post(self, request: Request, obj_id: str | None = None) -> Response:
        fields = self.validated(serializers.SubscriptionCreateSerializer, request.data)
        subscription = payments.subscribe(self.billable, fields.pop("price_id"), **fields)
        return Response(self.get_serializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.SubscriptionUpdateSerializer)
    def put(self, request: Request, obj_id: str | None = None) -> Response:
        changes = self.validated(serializers.SubscriptionUpdateSerializer, request.data)
        subscription = payments.change_subscription(self.billable, _required(obj_id), **changes)
        return Response(self.get_serializer(subscription).data)

    def delete(self, request: Request, obj_id: str | None = None) -> Response:
        subscription = payments.cancel_subscription(self.billable, _required(obj_id))
        return Response(self.get_serializer(subscription).data)


class StripePlanChangePreviewView(StripeAPIView):
    """What changing your subscription to `price` and/or `quantity` costs, changing nothing: due now (0 for a
    downgrade, which waits for the renewal) and at the next renewal (`at_renewal`)."""

    serializer_class = serializers.ChangePreviewSerializer
    # A preview asks Stripe what the change would cost and changes nothing: a member who reads may ask it.
    read_methods = StripeAPIView.read_methods | {"POST"}

    @extend_schema(request=serializers.PlanChangeSerializer, responses={200: serializers.ChangePreviewSerializer})
    def post(self, request: Request, obj_id: str) -> Response:
        fields = self.validated(serializers.PlanChangeSerializer, request.data)
        preview = payments.preview_change(self.billable, obj_id, **fields)
        return Response(self.get_serializer(preview_answer(preview)).data)


class StripePlanChangeView(StripeAPIView):
    """Change your subscription to `price` and/or `quantity`: an upgrade now, paid now (402 when the payment
    fails: nothing changes); a downgrade at the renewal (`scheduled_change` says when)."""

    serializer_class = serializers.SubscriptionSerializer

    @extend_schema(request=serializers.PlanChangeSerializer, responses={200: serializers.SubscriptionSerializer})
    def post(self, request: Request, obj_id: str) -> Response:
        fields = self.validated(serializers.PlanChangeSerializer, request.data)
        return Response(self.get_serializer(payments.change_plan(self.billable, obj_id, **fields)).data)


class StripeScheduledChangeView(StripeAPIView):
    """DELETE cancels the change waiting for the renewal; the subscription goes on as it is."""

    serializer_class = serializers.SubscriptionSerializer

    @extend_schema(responses={200: serializers.SubscriptionSerializer})
    def delete(self, request: Request, obj_id: str) -> Response:
        return Response(self.get_serializer(payments.cancel_scheduled_change(self.billable, obj_id)).data)


class StripePauseView(StripeAPIView):
    """Pause the collection of your subscription's payments (the project's STRIPE_PAUSE_BEHAVIOR)."""

    serializer_class = serializers.SubscriptionSerializer

    @extend_schema(request=None, responses={200: serializers.SubscriptionSerializer})
    def post(self, request: Request, obj_id: str) -> Response:
        self.validated(serializers.NoFieldsSerializer, request.data)
        return Response(self.get_serializer(payments.pause_subscription(self.billable, obj_id)).data)


class StripeUnpauseView(StripeAPIView):
    """Collect your paused subscription's payments again."""

    serializer_class = serializers.SubscriptionSerializer

    @extend_schema(request=None, responses={200: serializers.SubscriptionSerializer})
    def post(self, request: Request, obj_id: str) -> Response:
        self.validated(serializers.NoFieldsSerializer, request.data)
        return Response(self.get_serializer(payments.unpause_subscription(self.billable, obj_id)).data)


def preview_answer(preview: payments.ChangePreview) -> dict[str, Any]:
    """A ChangePreview as the REST API answers it: `at_renewal` in epoch seconds, as every time it answers."""
    return {**dataclasses.asdict(preview), "at_renewal": int(preview.at_renewal.timestamp())}


def _refuse_nul(url_kwargs: dict[str, Any], request: Request) -> None:
    """PostgreSQL refuses NUL in text and jsonb (a DataError, i.e. a 500), and no Stripe id or value holds one:
    an id with NUL answers like any missing object, a query parameter or body field with NUL is a 400."""
    if any(NUL in str(value) for value in url_kwargs.values()):
        raise NotFound(StripeWrongCustomer().args[0])
    if _holds_nul(request.query_params) or (_has_body(request) and _holds_nul(request.data)):
        raise ValidationError({"detail": "NUL characters are not allowed."})


def _has_body(request: Request) -> bool:
    return request.method in ("POST", "PUT", "PATCH") or request.META.get("CONTENT_LENGTH", "0") not in ("", "0")


NUL = "\x00"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if hasattr(value, "lists"):  # a QueryDict (query parameters, form bodies): every value of every key
        return any(_holds_nul(key) or _holds_nul(values) for key, values in value.lists())
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def _required(obj_id: str | None) -> str:
    if not obj_id:
        raise ValidationError({"obj_id": "This method needs an object id in the URL."})
    return obj_id
