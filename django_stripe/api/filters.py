"""Query filters of the list endpoints (django-filter). Older clients send them as a JSON body on
GET; `FilterParams` accepts that form as well as query parameters."""

from __future__ import annotations

import django_filters
from django.http import QueryDict
from rest_framework.request import Request

from ..models import Invoice, Price, Product

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


class RepeatableCSVWidget(django_filters.widgets.CSVWidget):
    """Comma-separated values, in one parameter or several: `?ids=a,b`, `?ids=a&ids=b`, or both.

    django-filter's CSV widget reads only the last of repeated parameters."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        joined = ",".join(value for value in values if value)
        return joined.split(",") if joined else None


class CommaSeparatedField(django_filters.BaseInFilter, django_filters.CharFilter):
    """`?ids=a,b` or `?ids=a&ids=b`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatableCSVWidget)
        super().__init__(*args, **kwargs)


class ProductFilter(django_filters.FilterSet):
    ids = CommaSeparatedField(field_name="id", max_length=5000)

    class Meta:
        model = Product
        fields = ["ids"]


class PriceFilter(django_filters.FilterSet):
    currency = django_filters.CharFilter(max_length=3)
    product = django_filters.CharFilter(field_name="product_id", max_length=255)

    class Meta:
        model = Price
        fields = ["currency", "product"]


class InvoiceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=[(status, status) for status in INVOICE_STATUSES])
    subscription = django_filters.CharFilter(field_name="subscription_id", max_length=255)

    class Meta:
        model = Invoice
        fields = ["status", "subscription"]


def filter_params(request: Request) -> QueryDict:
    """Query parameters, plus the fields of a JSON body sent with GET (lists become repeated keys)."""
    params = request.query_params.copy()
    body = request.data if isinstance(request.data, dict) else {}
    for name, value in body.items():
        if name not in params:
            params.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return params
