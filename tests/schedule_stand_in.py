"""Until the fake declares subscription schedules (issue 24, part E), the list and retrieve routes the mirror's
backfill and tie-breaking read, answering from the fake's store: a full backfill would otherwise stop at the
fake's 404. Once the fake declares the resource this module declares nothing. The lead removes it at the merge.
"""

from fake_stripe import resources  # noqa: F401  (every resource the fake declares, first)
from fake_stripe.resource import Resource, _declared, equal

if "subscription_schedule" not in _declared:
    Resource("subscription_schedule", "/v1/subscription_schedules", filters=(equal("customer"),))
