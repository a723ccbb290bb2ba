"""The example project's team billing (DJANGO_STRIPE_BILLABLE=team): which team a request acts for, and what
each member may do with its billing."""

from __future__ import annotations

from typing import Any

from django_stripe.billables import MANAGE, READ, Role

from .models import Membership, Team

# Who may change the team's billing; every other member may only read it.
MANAGING_ROLES = frozenset({Membership.OWNER, Membership.BILLING})


def team_for_request(request: Any) -> Team | None:
    """The team named by the URL (`team_id`), else by the `X-Team` header, else the user's current team; None
    when the user is not one of its members (so the request answers 404, as for a team that does not exist)."""
    user = request.user
    if not user.is_authenticated:
        return None
    match = getattr(request, "resolver_match", None)
    team_id = (match.kwargs.get("team_id") if match else None) or request.headers.get("X-Team")
    team_id = team_id or user.current_team_id
    team_id = str(team_id or "")
    if not (team_id.isascii() and team_id.isdigit()):  # "²" is a digit to str.isdigit, and no number to int()
        return None
    return Team.objects.filter(pk=team_id, memberships__user=user).first()


def team_role(user: Any, team: Team) -> Role | None:
    """Owners and billing managers manage the team's billing, members read it, anyone else has no role."""
    role = Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()
    if role is None:
        return None
    return MANAGE if role in MANAGING_ROLES else READ
