"""Who a page acts for: the billable of the request (`billable_for_request`: by default the logged-in user; a
project billing teams names the team in the URL, a header or the user's current team) and the user's role
there (`billing_role`), resolved once per request and kept on the view (`billable`, `role`).

- No billable, or a user without a role for it: 404, the page of a missing object (an outsider learns nothing
  of the team, not even that it exists).
- READ: every page shows what it shows a manager, without the buttons that write (`can_manage` is False in the
  context); a POST all the same answers the 403 page, since a hidden button is no protection.
- MANAGE: everything.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from ..billables import MANAGE, READ_ONLY, Role, billable_for_request, billing_role
from ..conf import stripe_settings
from ..exceptions import StripeWrongCustomer

# A page's reads: a GET shows (a plan change's preview included) and changes nothing.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ActsForBillableMixin:
    """Resolves the billable and the role before the view runs: 404 for an outsider, the 403 page for a write
    by a member who may only read. Put it after LoginRequiredMixin, which sends an anonymous user to log in."""

    request: HttpRequest
    billable: Any = None
    role: Role | None = None
    read_only_template_name = "django_stripe/error.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.billable = billable_for_request(request)
        self.role = billing_role(request.user, self.billable)
        if self.role is None:
            raise Http404(StripeWrongCustomer().args[0])
        if not self.can_manage and request.method not in READ_METHODS:
            context = {"title": stripe_settings.STRIPE_CHECKOUT_TITLE, "message": READ_ONLY}
            return render(request, self.read_only_template_name, context, status=403)
        return super().dispatch(request, *args, **kwargs)

    @property
    def can_manage(self) -> bool:
        """Whether the user may change the billable's billing: the pages show the buttons that write."""
        return self.role == MANAGE
