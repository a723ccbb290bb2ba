from django.conf import settings
from django.db import models

from django_stripe.models import StripeBillable, StripeCustomerUser


class User(StripeCustomerUser):
    """The example project's user: a Stripe customer id, plus optional free access until a date, and the team
    the user is working in (which the team billing acts for when the URL or a header names none)."""

    allowed_access_until = models.DateTimeField(null=True, blank=True)
    current_team = models.ForeignKey("Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class Team(StripeBillable):
    """A team that pays for its members: the billable when DJANGO_STRIPE_BILLABLE=team (see billing.py)."""

    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, help_text="Where Stripe sends the team's receipts.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user in a team, with the role that says what they may do with its billing."""

    OWNER, BILLING, MEMBER = "owner", "billing", "member"
    ROLES = [(OWNER, "Owner"), (BILLING, "Billing manager"), (MEMBER, "Member")]

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=ROLES, default=MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team_and_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"
