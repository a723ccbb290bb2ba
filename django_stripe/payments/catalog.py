"""Products and prices from the mirror, each with whether the user is subscribed to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from ..conf import stripe_settings
from ..exceptions import StripePriceUnavailable
from ..models import Price, Product
from .access import _epoch, _free_access_until, access_items, customer_id_of
from .errors import not_found, permission_denied
from .mirror import fetch_unmirrored

PRODUCT_FIELDS = ("id", "name", "description", "images", "metadata", "shippable", "type", "unit_label", "url")
PRICE_FIELDS = (
    "id",
    "product",
    "type",
    "recurring",
    "currency",
    "unit_amount",
    "unit_amount_decimal",
    "nickname",
    "lookup_key",
    "metadata",
)
PRICE_FILTERS = {"currency", "active", "type", "lookup_key", "recurring_interval"}
NOT_SUBSCRIBED = {"subscribed": False, "cancel_at": None, "current_period_end": None}


def get_products(
    user: Any,
    ids: list[str] | None = None,
    price_kwargs: dict[str, Any] | None = None,
    rest: bool = False,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Active products (all, or those in `ids`) with their active prices and subscription info.

    `price_kwargs` filters the prices (currency, type, lookup_key, recurring_interval, active). With
    STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY, asking for another product raises PermissionDenied (REST
    framework's when `rest`). Three queries, however many products.
    """
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY:
        for product_id in ids or []:
            _check_product_allowed(product_id, rest)
        ids = [stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID]
    products = _products(price_kwargs, **kwargs)
    if ids is not None:
        products = products.filter(id__in=ids)
    return _present_products(user, products)


def retrieve_product(
    user: Any, obj_id: str, price_kwargs: dict[str, Any] | None = None, rest: bool = False
) -> dict[str, Any]:
    """One product with its prices and subscription info; not found raises Http404 (or NotFound)."""
    _check_product_allowed(obj_id, rest)
    found = _present_products(user, _products(price_kwargs).filter(id=obj_id))
    if not found:
        raise not_found(rest, f"No such product: '{obj_id}'")
    return found[0]


def get_prices(
    user: Any, product: str | None = None, currency: str | None = None, rest: bool = False, **kwargs: Any
) -> list[dict[str, Any]]:
    """Active prices, optionally of one product and one currency, with subscription info."""
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY:
        _check_product_allowed(product, rest)
        product = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
    filters = {**kwargs, **({"currency": currency.lower()} if currency else {})}  # Stripe's codes are lowercase
    prices = _prices(filters)
    if product:
        prices = prices.filter(product_id=product)
    return _present_prices(prices, _access_of(user))


def retrieve_price(user: Any, obj_id: str, rest: bool = False) -> dict[str, Any]:
    """One active price with subscription info; a missing or archived one (archived and grandfathered prices
    are not for sale) raises Http404 (NotFound when `rest`), one of a forbidden product PermissionDenied."""
    price = Price.objects.live().filter(id=obj_id, active=True).first()
    if price is None:
        raise not_found(rest, f"No such price: '{obj_id}'")
    _check_product_allowed(price.product_id, rest)
    return _present_prices([price], _access_of(user))[0]


def purchasable_price(price_id: str, rest: bool = False) -> Price:
    """The price a write subscribes to, checked before any call to Stripe: a price created at Stripe a
    moment ago, whose webhook is still on its way, is fetched once and mirrored; a missing one raises as
    `retrieve_price`, an archived one (or one of an archived product) StripePriceUnavailable."""
    if not isinstance(price_id, str) or not price_id:
        raise not_found(rest, f"No such price: '{price_id}'")
    price = Price.objects.live().filter(id=price_id).first()
    if price is None and not Price.objects.filter(id=price_id).exists():  # a tombstone is not fetched again
        price = fetch_unmirrored(Price, price_id)
    if price is None:
        raise not_found(rest, f"No such price: '{price_id}'")
    _check_product_allowed(price.product_id, rest)
    if not price.active or Product.objects.filter(id=price.product_id).exclude(active=True, deleted=False).exists():
        raise StripePriceUnavailable(f"The price '{price_id}' is no longer available.")
    return price


def _check_product_allowed(product_id: str | None, rest: bool) -> None:
    default = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY and product_id and product_id != default:
        raise permission_denied(rest, f"Cannot access product {product_id}")


def _products(price_kwargs: dict[str, Any] | None, active: bool = True, **kwargs: Any) -> QuerySet:
    if kwargs:
        raise TypeError(f"Unsupported product filters: {', '.join(sorted(kwargs))}")
    prices = Prefetch("prices", queryset=_prices(price_kwargs or {}), to_attr="listed_prices")
    return Product.objects.live().filter(active=active).prefetch_related(prices).order_by("created", "id")


def _prices(filters: dict[str, Any]) -> QuerySet:
    unknown = set(filters) - PRICE_FILTERS
    if unknown:
        raise TypeError(f"Unsupported price filters: {', '.join(sorted(unknown))}")
    filters = {"active": True, **filters}
    return Price.objects.live().filter(**filters).order_by("unit_amount", "id")


@dataclass
class _Access:
    """The user's subscription info by product id and price id. Free access covers every product."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    free: dict[str, Any] | None = None

    def product(self, product_id: str) -> dict[str, Any]:
        return self.free or self.by_id.get(product_id, NOT_SUBSCRIBED)

    def price(self, price_id: str) -> dict[str, Any]:
        return self.by_id.get(price_id, NOT_SUBSCRIBED)


def _access_of(user: Any) -> _Access:
    """What the user is subscribed to, in one query (none for free access or a user without customer)."""
    free_until = _free_access_until(user)
    if free_until:
        info = {"subscribed": True, "cancel_at": None, "current_period_end": _epoch(free_until)}
        return _Access({stripe_settings.STRIPE_FREE_ACCESS_PRICE_ID: info}, free=info)
    customer_id = customer_id_of(user)
    if not customer_id:
        return _Access()
    access = _Access()
    rows = access_items(customer_id).values_list(
        "product_id",
        "price_id",
        "subscription__cancel_at",
        "subscription__cancel_at_period_end",
        "subscription__current_period_end",
    )
    for product_id, price_id, cancel_at, at_period_end, period_end in rows:
        info = {
            "subscribed": True,
            "cancel_at": _epoch(cancel_at or (period_end if at_period_end else None)),
            "current_period_end": _epoch(period_end),
        }
        access.by_id.setdefault(product_id, info)
        access.by_id.setdefault(price_id, info)
    return access


def _present_products(user: Any, products: QuerySet) -> list[dict[str, Any]]:
    access = _access_of(user)
    return [
        {
            **{name: product.stripe_data.get(name) for name in PRODUCT_FIELDS},
            "prices": _present_prices(product.listed_prices, access),
            "subscription_info": access.product(product.id),
        }
        for product in products
    ]


def _present_prices(prices, access: _Access) -> list[dict[str, Any]]:
    return [
        {
            **{name: price.stripe_data.get(name) for name in PRICE_FIELDS},
            "subscription_info": access.price(price.id),
        }
        for price in prices
    ]
