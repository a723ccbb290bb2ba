"""Moving a project's customers from one model to another, in the project's own data migration: from the users
(the default billable) to the teams that pay from now on, or back.

    def forwards(apps, schema_editor):
        Team = apps.get_model("accounts", "Team")
        move_customers(
            apps, schema_editor, source="accounts.User", target="accounts.Team",
            billable_of=lambda user: Team.objects.filter(memberships__user=user, memberships__role="owner").first(),
        )

    def backwards(apps, schema_editor):
        ...  # reverse_move_customers(...) with the same arguments

    operations = [migrations.RunPython(forwards, backwards)]

Both run in one transaction: a refusal moves nothing. Neither calls Stripe: a customer keeps its id, its cards,
subscriptions and invoices; only the row holding its id changes. (Its metadata still names the user it was
created for, which nothing reads.) See docs/upgrading.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Model


class CustomerMoveRefused(ValueError):
    """A move that would give a row two customers, or one customer two rows: nothing was moved."""


def move_customers(
    apps: Any, schema_editor: Any, *, source: str, target: str, billable_of: Callable[[Model], Model | None]
) -> int:
    """Move each `source` row's `stripe_customer_id` to `billable_of(row)` (a `target` row; None leaves the row
    and its customer as they are), clearing the source's. `source` and `target` are "app_label.ModelName" of
    models with a `stripe_customer_id` column. Refuses (CustomerMoveRefused, nothing moved) when a target
    already holds another customer, or this customer is held by another target. Returns how many moved."""
    source_model, target_model = apps.get_model(source), apps.get_model(target)
    alias = schema_editor.connection.alias
    moved = 0
    with transaction.atomic(using=alias):
        for row in _holders(source_model, alias):
            billable = billable_of(row)
            if billable is None:
                continue
            _give(target_model, alias, billable, row.stripe_customer_id)
            _take(row)
            moved += 1
    return moved


def reverse_move_customers(
    apps: Any, schema_editor: Any, *, source: str, target: str, billable_of: Callable[[Model], Model | None]
) -> int:
    """The way back of `move_customers`, with the same arguments: each `target` row's customer goes back to the
    first `source` row (by pk) without a customer whose `billable_of(row)` it is, and is cleared there. Where
    several source rows shared a target (a team's members), only the first gets it back: the move cannot know
    which one had it. Returns how many moved back."""
    source_model, target_model = apps.get_model(source), apps.get_model(target)
    alias = schema_editor.connection.alias
    moved = 0
    with transaction.atomic(using=alias):
        for row in source_model._default_manager.using(alias).order_by("pk"):
            if row.stripe_customer_id:
                continue
            billable = billable_of(row)
            if billable is None:
                continue
            billable = target_model._default_manager.using(alias).get(pk=billable.pk)
            if not billable.stripe_customer_id:
                continue
            _give(source_model, alias, row, billable.stripe_customer_id)
            _take(billable)
            moved += 1
    return moved


def _holders(model: type[Model], alias: str):
    rows = model._default_manager.using(alias).exclude(stripe_customer_id__isnull=True).exclude(stripe_customer_id="")
    return rows.order_by("pk")


def _give(model: type[Model], alias: str, row: Model, customer_id: str) -> None:
    """Set `row`'s customer, unless it holds another one or another row of its model holds this one."""
    held = model._default_manager.using(alias).filter(pk=row.pk).values_list("stripe_customer_id", flat=True).first()
    if held and held != customer_id:
        raise CustomerMoveRefused(
            f"{model._meta.label} {row.pk} already holds customer {held}: cannot give it {customer_id} too. "
            "Nothing was moved: settle which customer it keeps (in Stripe and in the data), then migrate again."
        )
    other = model._default_manager.using(alias).filter(stripe_customer_id=customer_id).exclude(pk=row.pk).first()
    if other is not None:
        raise CustomerMoveRefused(
            f"Customer {customer_id} is already held by {model._meta.label} {other.pk}: cannot give it to "
            f"{row.pk} too. Nothing was moved."
        )
    model._default_manager.using(alias).filter(pk=row.pk).update(stripe_customer_id=customer_id)


def _take(row: Model) -> None:
    """Clear `row`'s customer id (NULL where the column allows it, else "")."""
    field = row._meta.get_field("stripe_customer_id")
    type(row)._default_manager.using(row._state.db).filter(pk=row.pk).update(
        stripe_customer_id=None if field.null else ""
    )
