"""Does this billable (a user, a team) have access, or this user through the billables they belong to?
Answered from the mirror in one indexed query, or from the cache."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import wraps
from typing import Any, NamedTuple, TypedDict

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import redirect
from django.utils import timezone

from .. import billables
from ..conf import key_livemode, stripe_settings
from ..exceptions import StripeNotConfigured
from ..models import ActiveEntitlement, SubscriptionItem
from .access_cache import cached_answer
from .member_access import Member, member_of, member_owners
from .precompiled import Precompiled

FREE = "FREE"
"""The `sub_id` of `is_subscribed_and_cancelled_time` for free access (`allowed_access_until`), not a subscription."""
NO_PRODUCT_TO_CHECK = (
    "An access check named no product and STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID is not set: name the product "
    "(product_id=...), set STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID to the product that gives access, or set "
    "STRIPE_ACCESS_ANY_PRODUCT = True if a subscription to any product should."
)

logger = logging.getLogger(__name__)


class AccessRule(NamedTuple):
    """Which subscriptions grant access: those in one of STRIPE_ACCESS_STATUSES, of the key's mode (`livemode`
    None: no key, no mode known), not paused unless STRIPE_ACCESS_WHILE_PAUSED (`paused`). Read once per check;
    it is also what the precompiled checks are keyed by (a tuple, as it is built on every check)."""

    statuses: tuple[str, ...]
    livemode: bool | None
    paused: bool = False

    @classmethod
    def current(cls) -> AccessRule:
        return cls(
            tuple(stripe_settings.STRIPE_ACCESS_STATUSES), key_livemode(), stripe_settings.STRIPE_ACCESS_WHILE_PAUSED
        )


class SubscriptionInfoWithEvaluation(TypedDict):
    """What `is_subscribed_and_cancelled_time` answers. `sub_id` is None when there is no access,
    `FREE` for free access through `allowed_access_until`; `evaluation` is True for free access."""

    sub_id: str | None
    product_id: str | None
    price_id: str | None
    cancel_at: int | None
    current_period_end: int | None
    evaluation: bool


def access_product(product_id: str | None) -> str | None:
    """The product an access check is about: `product_id`, else STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID. None
    (a subscription to any product gives access) only with STRIPE_ACCESS_ANY_PRODUCT; without a product and
    without that setting, StripeNotConfigured: failing open would let the cheapest add-on unlock everything."""
    product_id = product_id or stripe_settings.STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID
    if product_id:
        return product_id
    if stripe_settings.STRIPE_ACCESS_ANY_PRODUCT:
        return None
    raise StripeNotConfigured(NO_PRODUCT_TO_CHECK)


def customer_id_of(obj: Any) -> str | None:
    """The Stripe customer id of a billable (a user, a team) or of a user; `None` for anonymous users and
    anything without a customer."""
    return billables.customer_id_of(obj)


def is_subscribed_and_cancelled_time(obj: Any, product_id: str | None = None) -> SubscriptionInfoWithEvaluation:
    """The subscription that gives `obj` access to `product_id` (the default product when omitted; see
    `access_product` for neither). `obj` is a billable (its own customer's subscriptions) or a user (also
    those of every billable they belong to, see member_access.py).

    Free access (`allowed_access_until` in the future) wins and needs no query. Otherwise one query finds
    a subscription in one of STRIPE_ACCESS_STATUSES with an item for the product; when there are several,
    the one that runs longest.
    """
    product_id = access_product(product_id)
    free_until = _free_access_until(obj)
    if free_until:
        return _info(FREE, product_id, stripe_settings.STRIPE_FREE_ACCESS_PRICE_ID, None, free_until, True)
    member = member_of(obj)
    customer_id = customer_id_of(obj)
    if member is not None:
        items = granting_items(_members_filter(member, "subscription__customer_id"), product_id)
    elif customer_id:
        items = access_items(customer_id, product_id)
    else:
        return _info(None, product_id, None, None, None, False)
    item = (
        items.order_by("-subscription__current_period_end")
        .values(
            "subscription_id",
            "price_id",
            "subscription__cancel_at",
            "subscription__cancel_at_period_end",
            "subscription__current_period_end",
        )
        .first()
    )
    if item is None:
        return _info(None, product_id, None, None, None, False)
    period_end = item["subscription__current_period_end"]
    cancel_at = item["subscription__cancel_at"] or (period_end if item["subscription__cancel_at_period_end"] else None)
    return _info(item["subscription_id"], product_id, item["price_id"], cancel_at, period_end, False)


def is_subscribed(obj: Any, product_id: str | None = None) -> bool:
    """True when `obj` has free access or a subscription granting access to the product (the default product
    when omitted; see `access_product` for neither): one EXISTS query (precompiled), none for free access or
    a billable without customer. `obj` is a billable (a team: its own customer's subscriptions) or a user:
    where the billable model is not the user model, also through every billable the user belongs to
    (STRIPE_BILLABLE_MEMBERS), found by a subquery of that one query."""
    product_id = access_product(product_id)
    if _free_access_until(obj):
        return True
    member = member_of(obj)
    if member is not None:
        return member_has_access(member, product_id)
    customer_id = customer_id_of(obj)
    return bool(customer_id) and customer_has_access(customer_id, product_id)


def customer_has_access(customer_id: str, product_id: str | None = None) -> bool:
    """Whether `access_items(customer_id, product_id)` has a row, in one precompiled query."""
    rule = AccessRule.current()
    if product_id:
        return _ACCESS_TO_PRODUCT.exists(rule, str(customer_id), str(product_id))
    return _ACCESS_TO_ANY_PRODUCT.exists(rule, str(customer_id))


def member_has_access(member: Member, product_id: str | None = None) -> bool:
    """Whether a billable the user belongs to, or the user's own customer, has access: one precompiled query."""
    variant = (AccessRule.current(), member.members)
    if product_id:
        return _MEMBER_ACCESS_TO_PRODUCT.exists(variant, member.user_pk, member.own_customer_id, str(product_id))
    return _MEMBER_ACCESS_TO_ANY_PRODUCT.exists(variant, member.user_pk, member.own_customer_id)


def is_subscribed_with_cache(obj: Any, product_id: str | None = None) -> bool:
    """`is_subscribed`, cached per customer and product in STRIPE_SUBSCRIPTION_CACHE_NAME.

    The entry lives STRIPE_SUBSCRIPTION_CHECK_CACHE_TIMEOUT_SECONDS at most and is dropped as soon as the
    sync changes the customer's subscriptions, so it is never staler than the webhook lag.

    A member's access through their billables (a user, where teams pay) is answered uncached, by its one
    query: the answer depends on the billables the user belongs to, which the sync does not see change (a
    member removed from a team), and on several customers, whose changes each drop only their own entry.
    """
    product_id = access_product(product_id)
    customer_id = customer_id_of(obj)
    if not customer_id or _free_access_until(obj) or member_of(obj) is not None:
        return is_subscribed(obj, product_id)
    return cached_answer(customer_id, product_id, lambda: customer_has_access(customer_id, product_id))


def has_entitlement(obj: Any, lookup_key: str) -> bool:
    """True when Stripe lists the feature `lookup_key` among the active entitlements of `obj`'s customer (a
    billable's), or, for a user where teams pay, of any billable the user belongs to or the user's own: one
    precompiled query, none for a billable without customer."""
    member = member_of(obj)
    if member is not None:
        variant = (key_livemode(), member.members)
        return _MEMBER_ENTITLEMENT.exists(variant, member.user_pk, member.own_customer_id, str(lookup_key))
    customer_id = customer_id_of(obj)
    if not customer_id:
        return False
    return _ENTITLEMENT.exists(key_livemode(), str(customer_id), str(lookup_key))


def subscription_required(view=None, *, product_id: str | None = None, redirect_to: str | None = None):
    """View decorator: anonymous users go to login; users without access get 403, or a redirect to
    `redirect_to` (a URL or URL name) when given.

        @subscription_required
        def report(request): ...

        @subscription_required(product_id="prod_pro", redirect_to="subscription-portal")
        def pro_report(request): ...

    Without a product to check (none named, no STRIPE_DEFAULT_SUBSCRIPTION_PRODUCT_ID, no
    STRIPE_ACCESS_ANY_PRODUCT) every user is denied as one without access, and the error is logged once.
    Where teams pay, a user has access through every team they belong to (`is_subscribed_with_cache(user)`).
    """

    def decorate(view_func):
        misconfiguration = MisconfigurationReport(getattr(view_func, "__qualname__", repr(view_func)))

        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                allowed = is_subscribed_with_cache(request.user, product_id)
            except StripeNotConfigured as error:
                allowed = misconfiguration.denied(error)
            if allowed:
                return view_func(request, *args, **kwargs)
            if redirect_to:
                return redirect(redirect_to)
            raise PermissionDenied("An active subscription is required.")

        return wrapper

    return decorate(view) if view is not None else decorate


class MisconfigurationReport:
    """What a view gate does when its access check raises StripeNotConfigured: it denies, as to a user without
    access, rather than answer every visitor a server error (with DEBUG, a page naming the settings), and logs
    the error once, since every request after it fails the same way. `manage.py check` warns of the setting
    too (django_stripe.W004)."""

    def __init__(self, gate: str) -> None:
        self.gate, self.logged = gate, False

    def denied(self, error: StripeNotConfigured) -> bool:
        if not self.logged:
            self.logged = True
            logger.error("%s denies every request: %s", self.gate, error)
        return False


def access_items(customer_id: str, product_id: str | None = None, rule: AccessRule | None = None) -> QuerySet:
    """Items of the customer's subscriptions that grant access (optionally to one product), of the key's mode:
    a test-mode subscription gives no access under a live key, nor a live one under a test key. (The mode is
    the subscription's: an item's own payload carries none.) `rule` defaults to the current settings'."""
    return granting_items(Q(subscription__customer_id=customer_id), product_id, rule)


def granting_items(customers: Q, product_id: str | None = None, rule: AccessRule | None = None) -> QuerySet:
    """`access_items` of the customers `customers` selects (a Q on `subscription__customer_id`)."""
    rule = rule or AccessRule.current()
    items = SubscriptionItem.objects.filter(
        customers,
        deleted=False,
        subscription__status__in=list(rule.statuses),
        subscription__deleted=False,
    )
    if rule.livemode is not None:
        items = items.filter(subscription__livemode=rule.livemode)
    if not rule.paused:
        # A paused subscription stays "active" at Stripe, but nothing is being paid for it.
        items = items.filter(subscription__pause_collection_behavior__isnull=True)
    return items.filter(product_id=product_id) if product_id else items


# The checks every gated request makes, compiled once per rule from the querysets above.
_ACCESS_TO_PRODUCT = Precompiled(
    SubscriptionItem, lambda rule, customer_id, product_id: access_items(customer_id, product_id, rule)
)
_ACCESS_TO_ANY_PRODUCT = Precompiled(SubscriptionItem, lambda rule, customer_id: access_items(customer_id, None, rule))
# Keyed by key_livemode(), which live() reads again while compiling.
_ENTITLEMENT = Precompiled(
    ActiveEntitlement,
    lambda livemode, customer_id, lookup_key: ActiveEntitlement.objects.live().filter(
        customer_id=customer_id, lookup_key=lookup_key
    ),
)
# The same checks for a member (a user where teams pay), keyed by (rule or livemode, Members); the values are
# the user's pk, their own customer id ("" for none) and the product or feature.
_MEMBER_ACCESS_TO_PRODUCT = Precompiled(
    SubscriptionItem,
    lambda variant, user_pk, own, product_id: granting_items(
        member_owners(variant[1], user_pk, own, "subscription__customer_id"), product_id, variant[0]
    ),
)
_MEMBER_ACCESS_TO_ANY_PRODUCT = Precompiled(
    SubscriptionItem,
    lambda variant, user_pk, own: granting_items(
        member_owners(variant[1], user_pk, own, "subscription__customer_id"), None, variant[0]
    ),
)
_MEMBER_ENTITLEMENT = Precompiled(
    ActiveEntitlement,
    lambda variant, user_pk, own, lookup_key: ActiveEntitlement.objects.live().filter(
        member_owners(variant[1], user_pk, own, "customer_id"), lookup_key=lookup_key
    ),
)


def _members_filter(member: Member, customer_field: str) -> Q:
    return member_owners(member.members, member.user_pk, member.own_customer_id, customer_field)


def _free_access_until(user: Any) -> datetime | None:
    until = getattr(user, "allowed_access_until", None)
    return until if until and until >= timezone.now() else None


def _info(sub_id, product_id, price_id, cancel_at, period_end, evaluation) -> SubscriptionInfoWithEvaluation:
    return SubscriptionInfoWithEvaluation(
        sub_id=sub_id,
        product_id=product_id,
        price_id=price_id,
        cancel_at=_epoch(cancel_at),
        current_period_end=_epoch(period_end),
        evaluation=evaluation,
    )


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None
