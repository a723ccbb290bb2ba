"""Products and prices from the mirror, each with whether the user is subscribed to it.

A missing product or price raises StripeObjectNotFound, a forbidden one StripeAccessDenied, with a message:
each is Django's exception (Http404, PermissionDenied) and REST framework's (NotFound, PermissionDenied) at
once, so the original API's `rest` flag, which chose the family, is accepted and has nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from django.db.models import F, FilteredRelation, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from ..conf import key_livemode, stripe_settings
from ..exceptions import StripeAccessDenied, StripeObjectNotFound, StripePriceUnavailable
from ..models import Price, Product, SubscriptionItem
from .access import AccessRule, _epoch, _free_access_until, access_items, customer_id_of
from .mirror import fetch_unmirrored
from .pages import Paginate, page_of
from .precompiled import Precompiled

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
# Cheapest first, and a price without `unit_amount` (tiered, metered) last on every database (PostgreSQL puts NULL
# last by default, SQLite first).
PRICE_ORDER = (F("unit_amount").asc(nulls_last=True), "id")
# A page of prices is ordered by the same rule as a column: a cursor reads its position from the order's first
# column, which must not be null. Above any amount Stripe takes.
AMOUNT_OF_NO_AMOUNT = 2**62
NOT_SUBSCRIBED = {"subscribed": False, "cancel_at": None, "current_period_end": None}
# A price is shown only with its product: an inner join, so a price whose product is archived, a tombstone, or not
# mirrored at all (its webhook lost or late) is left out. Reads never call Stripe to find out.
OF_A_PRODUCT_FOR_SALE = {"product__active": True, "product__deleted": False}


def get_products(
    user: Any,
    ids: list[str] | None = None,
    price_kwargs: dict[str, Any] | None = None,
    rest: bool = False,
    *,
    paginate: Paginate | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Active products (all, or those in `ids`) with their active prices and subscription info.

    `price_kwargs` filters the prices (currency, type, lookup_key, recurring_interval, active). With
    STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY, asking for another product raises StripeAccessDenied. Two queries
    however many products (products with their prices, and what the user is subscribed to), one for a user
    without customer. See the module's docstring for `rest`. With `paginate`, the page of products it takes
    (see pages.py), with their prices: a query more.
    """
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY:
        for product_id in ids or []:
            _check_product_allowed(product_id)
        ids = [stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID]
    page = page_of(paginate, lambda: _product_page_rows(ids, **kwargs))
    if page is not None:
        return _present_products(user, _with_prices(page, price_kwargs))
    return _present_products(user, _product_rows(price_kwargs, ids, **kwargs))


def retrieve_product(
    user: Any, obj_id: str, price_kwargs: dict[str, Any] | None = None, rest: bool = False
) -> dict[str, Any]:
    """One product with its prices and subscription info; not found raises StripeObjectNotFound, a product
    hidden by STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY StripeAccessDenied (see the module's docstring for `rest`)."""
    _check_product_allowed(obj_id)
    found = _present_products(user, _product_rows(price_kwargs, [obj_id]))
    if not found:
        raise StripeObjectNotFound(f"No such product: '{obj_id}'")
    return found[0]


def get_prices(
    user: Any,
    product: str | None = None,
    currency: str | None = None,
    rest: bool = False,
    *,
    paginate: Paginate | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Active prices of active products, optionally of one product and one currency, with subscription info
    (see the module's docstring for `rest`). A price whose product is not mirrored is not listed. With
    `paginate`, the page it takes (see pages.py)."""
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY:
        _check_product_allowed(product)
        product = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
    filters = {**kwargs, **({"currency": currency.lower()} if currency else {})}  # Stripe's codes are lowercase
    variant = _PricesVariant(key_livemode(), _frozen(_price_filters(filters)), bool(product))
    values = [str(product)] if product else []
    page = page_of(paginate, lambda: _price_page_rows(variant, *values))
    if page is not None:
        return _present_prices([(row["id"], row["stripe_data"]) for row in page], _access_of(user))
    return _present_prices(_PRICE_ROWS.rows(variant, *values), _access_of(user))


def retrieve_price(user: Any, obj_id: str, rest: bool = False) -> dict[str, Any]:
    """One active price of an active product, with subscription info; a missing or archived one (archived and
    grandfathered prices are not for sale), and one whose product is archived or not mirrored, raises
    StripeObjectNotFound, one of a forbidden product StripeAccessDenied (see the module's docstring for `rest`).
    One query, which never calls Stripe."""
    price = Price.objects.live().filter(id=obj_id, active=True, **OF_A_PRODUCT_FOR_SALE).first()
    if price is None:
        raise _no_such_price(obj_id)
    _check_product_allowed(price.product_id)
    return _present_prices([(price.id, price.stripe_data)], _access_of(user))[0]


def purchasable_price(price_id: str) -> Price:
    """The price a write subscribes to, checked before any call to Stripe: a price created at Stripe a
    moment ago, whose webhook is still on its way, is fetched once and mirrored, and so is its product; a
    missing one raises as `retrieve_price`, an archived one, or one whose product is archived or that Stripe
    does not have, StripePriceUnavailable."""
    if not isinstance(price_id, str) or not price_id:
        raise _no_such_price(price_id)
    price = Price.objects.live().filter(id=price_id).first()
    if price is None and not Price.objects.filter(id=price_id).exists():  # a tombstone is not fetched again
        price = fetch_unmirrored(Price, price_id)
    if price is None:
        raise _no_such_price(price_id)
    _check_product_allowed(price.product_id)
    if not price.active or not _product_for_sale(price.product_id):
        raise StripePriceUnavailable(f"The price '{price_id}' is no longer available.")
    return price


def _product_for_sale(product_id: str | None) -> bool:
    """Whether the product is active and not deleted. One the mirror has no row of (its webhooks are late, or
    were lost) is fetched once from Stripe and mirrored: a missing row is no proof that it is for sale. A
    product Stripe does not have is not for sale, and leaves no row."""
    if not product_id:
        return False
    product = Product.objects.filter(id=product_id).first()
    if product is None:
        product = fetch_unmirrored(Product, product_id)
    return product is not None and product.active and not product.deleted


def _check_product_allowed(product_id: str | None) -> None:
    default = stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
    if stripe_settings.STRIPE_ALLOW_DEFAULT_PRODUCT_ONLY and product_id and product_id != default:
        raise StripeAccessDenied(f"Cannot access product {product_id}")


def _no_such_price(price_id: Any) -> StripeObjectNotFound:
    return StripeObjectNotFound(f"No such price: '{price_id}'")


def _product_rows(
    price_kwargs: dict[str, Any] | None, ids: list[str] | None = None, active: bool = True, **kwargs: Any
) -> list[tuple]:
    """(product id, product data, price id, price data) rows of `_products`, from its precompiled SQL."""
    if kwargs:
        raise TypeError(f"Unsupported product filters: {', '.join(sorted(kwargs))}")
    variant = _ProductsVariant(key_livemode(), active, _frozen(_price_filters(price_kwargs or {})), ids is not None)
    return _PRODUCT_ROWS.rows(variant, *(str(product_id) for product_id in ids or ()))


def _products(price_filters: dict[str, Any], active: bool, ids: Sequence[str] | None) -> QuerySet:
    """Products each joined to its listed prices (a LEFT JOIN: a product without any is listed too), one row
    (product id, product data, price id, price data) per pair, in the order of the list: the prices of a
    product follow one another, in `_prices`' order. One query instead of one per table."""
    products = Product.objects.live().filter(active=active)
    if ids is not None:
        products = products.filter(id__in=ids)
    listed = FilteredRelation("prices", condition=_listed_prices(price_filters))
    return (
        products.annotate(listed_price=listed)
        .order_by("created", "id", F("listed_price__unit_amount").asc(nulls_last=True), "listed_price__id")
        .values_list("id", "stripe_data", "listed_price__id", "listed_price__stripe_data")
    )


def _listed_prices(filters: dict[str, Any]) -> Q:
    """The prices `_prices(filters)` lists (live() included: no tombstone, the key's mode), as a condition on
    a product's `prices`."""
    condition = Q(
        prices__deleted=False, **{f"prices__{name}": value for name, value in _price_filters(filters).items()}
    )
    livemode = key_livemode()
    return condition if livemode is None else condition & Q(prices__livemode=livemode)


def _prices(filters: dict[str, Any]) -> QuerySet:
    """The listed prices: of active, mirrored products only (joined in the same query)."""
    return Price.objects.live().filter(**_price_filters(filters), **OF_A_PRODUCT_FOR_SALE).order_by(*PRICE_ORDER)


def _price_rows(variant: _PricesVariant, *product_id: str) -> QuerySet:
    """(price id, price data) rows of the listed prices, of one product when `variant.of_product`."""
    prices = _prices(dict(variant.price_filters))
    if variant.of_product:
        prices = prices.filter(product_id=product_id[0])
    return prices.values_list("id", "stripe_data")


def _product_page_rows(ids: list[str] | None, active: bool = True, **kwargs: Any) -> QuerySet:
    """The listed products as a page is taken of them (in the list's order, its columns in each row); their
    prices are read for the page alone (`_with_prices`)."""
    if kwargs:
        raise TypeError(f"Unsupported product filters: {', '.join(sorted(kwargs))}")
    products = Product.objects.live().filter(active=active)
    if ids is not None:
        products = products.filter(id__in=ids)
    return products.order_by("created", "id").values("id", "stripe_data", "created")


def _with_prices(page: list[dict[str, Any]], price_kwargs: dict[str, Any] | None) -> list[tuple]:
    """A page of products as the joined rows of `_products` (product id, data, price id, price data): their
    listed prices in one query, in the list's order."""
    prices: dict[str, list[tuple]] = {}
    listed = Price.objects.live().filter(**_price_filters(price_kwargs or {}), product_id__in=[p["id"] for p in page])
    for product_id, price_id, price_data in listed.order_by(*PRICE_ORDER).values_list(
        "product_id", "id", "stripe_data"
    ):
        prices.setdefault(product_id, []).append((price_id, price_data))
    return [
        (product["id"], product["stripe_data"], *price)
        for product in page
        for price in prices.get(product["id"]) or [(None, None)]
    ]


def _price_page_rows(variant: _PricesVariant, *product_id: str) -> QuerySet:
    """The listed prices as a page is taken of them, in PRICE_ORDER (see AMOUNT_OF_NO_AMOUNT)."""
    rows = _price_rows(variant, *product_id).annotate(amount_order=Coalesce("unit_amount", Value(AMOUNT_OF_NO_AMOUNT)))
    return rows.order_by("amount_order", "id").values("id", "stripe_data", "amount_order")


def _price_filters(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - PRICE_FILTERS
    if unknown:
        raise TypeError(f"Unsupported price filters: {', '.join(sorted(unknown))}")
    return {"active": True, **filters}


def _frozen(filters: dict[str, Any]) -> tuple:
    """Filters as part of a precompiled variant (its cache key)."""
    return tuple(sorted(filters.items()))


# The catalogue reads are compiled once per variant; the product ids, or the product, are put in at each call.
# (live() reads the key's mode again while compiling.)


class _ProductsVariant(NamedTuple):
    livemode: bool | None
    active: bool
    price_filters: tuple
    by_ids: bool


class _PricesVariant(NamedTuple):
    livemode: bool | None
    price_filters: tuple
    of_product: bool


_PRODUCT_ROWS = Precompiled(
    Product,
    lambda variant, *ids: _products(dict(variant.price_filters), variant.active, ids if variant.by_ids else None),
)
_PRICE_ROWS = Precompiled(Price, _price_rows)


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
    for product_id, price_id, cancel_at, at_period_end, period_end in _ACCESS_ROWS.rows(
        AccessRule.current(), str(customer_id)
    ):
        info = {
            "subscribed": True,
            "cancel_at": _epoch(cancel_at or (period_end if at_period_end else None)),
            "current_period_end": _epoch(period_end),
        }
        access.by_id.setdefault(product_id, info)
        access.by_id.setdefault(price_id, info)
    return access


# What the user is subscribed to: the items of `access_items`, newest first, compiled once per access rule.
ACCESS_COLUMNS = (
    "product_id",
    "price_id",
    "subscription__cancel_at",
    "subscription__cancel_at_period_end",
    "subscription__current_period_end",
)
_ACCESS_ROWS = Precompiled(
    SubscriptionItem, lambda rule, customer_id: access_items(customer_id, None, rule).values_list(*ACCESS_COLUMNS)
)


def _present_products(user: Any, rows: list[tuple]) -> list[dict[str, Any]]:
    access = _access_of(user)
    return [
        {
            **{name: data.get(name) for name in PRODUCT_FIELDS},
            "prices": _present_prices(prices, access),
            "subscription_info": access.product(product_id),
        }
        for product_id, data, prices in _grouped(rows)
    ]


def _grouped(rows) -> Iterator[tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]]]:
    """(product id, data, [(price id, price data), ...]) from the joined rows of `_products`."""
    for product_id, group in groupby(rows, key=itemgetter(0)):
        pairs = list(group)
        prices = [(price_id, price_data) for _, _, price_id, price_data in pairs if price_id is not None]
        yield product_id, pairs[0][1], prices


def _present_prices(prices, access: _Access) -> list[dict[str, Any]]:
    """`prices`: (id, data) pairs."""
    return [
        {
            **{name: data.get(name) for name in PRICE_FIELDS},
            "subscription_info": access.price(price_id),
        }
        for price_id, data in prices
    ]
