"""The demo's usage button: each press is ten "API calls" reported for the user, as a project's own code
reports what its users consume (`payments.report_usage`, one row in the request's transaction)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from django_stripe import payments
from django_stripe.billables import billable_for_request
from django_stripe.exceptions import StripeCustomerMissing, StripeRequestRefused
from django_stripe.models import Price
from django_stripe.testing.demo import DEMO_METER, DEMO_METERED_PRICE

CALLS_PER_PRESS = 10


@login_required
@require_POST
def report_api_calls(request: HttpRequest) -> HttpResponse:
    """Subscribe the request's billable to the metered price "API calls" on the first press, then report ten
    calls."""
    billable = billable_for_request(request)
    price = Price.objects.live().filter(nickname=DEMO_METERED_PRICE["nickname"], active=True).first()
    try:
        if price is not None and not any(usage.price == price for usage in payments.usage_this_period(billable)):
            payments.create_subscription(billable, price.id)
        with transaction.atomic():
            payments.report_usage(billable, DEMO_METER["event_name"], CALLS_PER_PRESS)
    except (StripeCustomerMissing, StripeRequestRefused) as error:
        messages.error(request, f"Subscribe to a plan first (with a card): {error}")
    return redirect("subscription-history")
