"""`invoices.create_preview`: what a change would charge now (`always_invoice`) and at the renewal (`none`,
`create_prorations`), from the code the update runs, so the preview is what the update then charges."""

from __future__ import annotations

import stripe

from fake_stripe.clock import DAY

from .billing import Billing


def preview(b: Billing, subscription: stripe.Subscription, behavior: str, **details: object) -> stripe.Invoice:
    return b.client.v1.invoices.create_preview(
        {
            "customer": subscription.customer,
            "subscription": subscription.id,
            "subscription_details": {"proration_behavior": behavior, **details},
        }
    )


def test_an_upgrades_preview_is_what_the_upgrade_charges_to_the_cent(billing: Billing):
    b = billing
    subscription = b.subscribe()
    b.fake.advance_clock(11 * DAY + 3 * 3600 + 17)  # an odd moment of the period: rounding shows
    at = b.fake.now()
    items = [{"id": subscription["items"].data[0].id, "price": b.pro, "quantity": 3}]
    events = len(b.fake.events)
    shown = preview(b, subscription, "always_invoice", items=items, proration_date=at)
    assert len(b.fake.events) == events  # a preview sends nothing
    assert [line.parent.subscription_item_details.proration for line in shown.lines.data] == [True, True]
    credit, charge = (line.amount for line in shown.lines.data)
    assert credit < 0 < charge and shown.amount_due == credit + charge == shown.total
    assert shown.lines.data[0].period.start == at
    b.client.v1.subscriptions.update(
        subscription.id, {"items": items, "proration_behavior": "always_invoice", "proration_date": at}
    )
    charged = b.client.v1.invoices.retrieve(b.client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (charged.status, charged.amount_paid) == ("paid", shown.amount_due)
    assert [line.amount for line in charged.lines.data] == [credit, charge]


def test_the_proration_date_is_honoured_to_the_second(billing: Billing):
    b = billing
    subscription = b.subscribe()
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    items = [{"id": item.id, "price": b.pro}]
    halfway = preview(b, subscription, "always_invoice", items=items, proration_date=(start + end) // 2)
    later = preview(b, subscription, "always_invoice", items=items, proration_date=(start + end) // 2 + 3600)
    assert halfway.amount_due == 1000  # (3000 - 1000) × half the period
    assert later.amount_due < halfway.amount_due


def test_a_downgrades_preview_at_the_renewal_is_the_next_invoice_at_the_new_price(billing: Billing):
    b = billing
    subscription = b.subscribe(b.pro, quantity=2)
    item = subscription["items"].data[0]
    shown = preview(b, subscription, "none", items=[{"id": item.id, "price": b.basic, "quantity": 1}])
    assert (shown.amount_due, shown.currency, shown.billing_reason) == (1000, "usd", "subscription_cycle")
    (line,) = shown.lines.data
    assert line.period.start == item.current_period_end
    assert line.parent.subscription_item_details.proration is False
    assert b.client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == b.pro  # nothing changed


def test_nothing_to_prorate_is_nothing_due_now(billing: Billing):
    b = billing
    subscription = b.subscribe()
    shown = preview(b, subscription, "always_invoice")
    assert (shown.amount_due, shown.lines.data) == (0, [])


def test_a_new_interval_is_billed_now_in_full_less_the_unused_time(billing: Billing):
    b = billing
    subscription = b.subscribe()
    items = [{"id": subscription["items"].data[0].id, "price": b.yearly}]
    at = b.fake.now()
    shown = preview(b, subscription, "create_prorations", items=items, proration_date=at)
    b.client.v1.subscriptions.update(subscription.id, {"items": items, "proration_date": at})
    charged = b.client.v1.invoices.retrieve(b.client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert charged.amount_paid == shown.amount_due == 10000 - 1000


def test_the_preview_is_refused_for_another_customer_or_an_unknown_subscription(billing: Billing):
    b = billing
    subscription = b.subscribe()
    other = b.customer()
    for params, code in (
        ({"customer": other, "subscription": subscription.id}, None),
        ({"subscription": "sub_nope"}, "resource_missing"),
    ):
        try:
            b.client.v1.invoices.create_preview(params)
        except stripe.InvalidRequestError as error:
            assert error.code == code
        else:
            raise AssertionError("previewed")


def test_a_proration_date_outside_the_period_is_refused(billing: Billing):
    b = billing
    subscription = b.subscribe()
    try:
        preview(b, subscription, "always_invoice", proration_date=b.fake.now() - 86400)
    except stripe.InvalidRequestError as error:
        assert error.param == "subscription_details[proration_date]"
    else:
        raise AssertionError("previewed")
