"""What every new subscription is judged by, one at a time per customer: one live subscription per product, and
one trial per customer.

`starting_subscription` holds the customer's lock (until its transaction ends) while the subscription, or the
Checkout Session that may make one, is created at Stripe, so that two requests at once are judged one after
the other, each seeing what the other started. Its open Checkout Sessions count as started: one that would
make a second subscription to the same product, or that carries the trial about to be granted, is expired
at Stripe first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from django.db import transaction

from ..conf import key_livemode, stripe_settings
from ..exceptions import StripeSubscriptionExists
from ..models import Price, SubscriptionItem, TrialReservation
from ..models.billing import ENDED_STATUSES
from ..sync.sql import advisory_lock
from .open_checkouts import expire_checkout, open_checkouts, record_open_checkout
from .trials import project_trial, release_open_reservation, reserve_trial


@dataclass
class NewSubscription:
    """A subscription being started for `customer_id` to `prices`, with the trial it was granted."""

    customer_id: str
    prices: list[Price]
    trial: dict[str, Any] = field(default_factory=dict)

    @property
    def product_ids(self) -> set[str]:
        return {price.product_id for price in self.prices}

    def with_trial(self, given: dict[str, Any]) -> dict[str, Any]:
        """The trial parameters it starts with: those the calling code `given` (its own decision), else the
        project's trial if the customer may have it. Either way no other open Checkout Session keeps one."""
        if given:
            release_open_reservation(TrialReservation.objects.filter(customer_id=self.customer_id).first())
            self.trial = dict(given)
        else:
            self.trial = project_trial(self.customer_id, self.prices[0])
        return self.trial

    def started(self, subscription: stripe.Subscription) -> None:
        """Stripe made the subscription: its trial, if it has one, is the customer's."""
        if self.trial or getattr(subscription, "trial_start", None):
            reserve_trial(self.customer_id, subscription_id=subscription.id)

    def opened(self, session: stripe.checkout.Session) -> None:
        """Stripe opened a Checkout Session that may make the subscription: it counts as started."""
        record_open_checkout(session, self.customer_id, self.product_ids)
        if self.trial:
            reserve_trial(self.customer_id, checkout_session_id=session.id)


@contextmanager
def starting_subscription(customer_id: str, prices: list[Price]) -> Iterator[NewSubscription]:
    """Hold the customer's lock while a subscription to `prices` is started: StripeSubscriptionExists when the
    customer already has a live one to one of their products (unless STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT)."""
    with transaction.atomic():
        advisory_lock(f"django_stripe.new_subscription:{customer_id}")
        start = NewSubscription(customer_id, prices)
        if not stripe_settings.STRIPE_MULTIPLE_SUBSCRIPTIONS_PER_PRODUCT:
            refuse_second_subscription(start)
        yield start


def refuse_second_subscription(start: NewSubscription) -> None:
    """StripeSubscriptionExists naming the customer's live subscription to one of the products, whether the
    mirror has it or an open Checkout Session of theirs made it meanwhile; their other open sessions for those
    products are expired, so none can make a second one later."""
    existing = live_subscription_to(start.customer_id, start.product_ids)
    if existing is not None:
        raise StripeSubscriptionExists(*existing)
    for checkout in open_checkouts(start.customer_id):
        shared = start.product_ids & set(checkout.product_ids)
        if shared:
            made = expire_checkout(checkout.id)
            if made is not None:
                raise StripeSubscriptionExists(min(shared), made)


def live_subscription_to(customer_id: str, product_ids: set[str]) -> tuple[str, str] | None:
    """(product id, subscription id) of a subscription of the customer's, not ended, with an item of one of
    the products, in the key's mode: an incomplete or past-due one counts, since paying it makes it active."""
    items = SubscriptionItem.objects.filter(
        deleted=False,
        product_id__in=product_ids,
        subscription__customer_id=customer_id,
        subscription__deleted=False,
    ).exclude(subscription__status__in=ENDED_STATUSES)
    livemode = key_livemode()
    if livemode is not None:
        items = items.filter(subscription__livemode=livemode)
    return items.order_by("-subscription__created").values_list("product_id", "subscription_id").first()
