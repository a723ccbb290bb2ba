"""Admin pages for the mirror: Stripe is the source of truth, so nothing is edited here.

Two actions write to the mirror, never to Stripe, and are offered only to users with the model's change
permission (`django_stripe.change_<model>`): the pages being read-only, the admin's own change permission is
False for everyone, and replaying runs the project's own handlers again, not for a user who may only look.

* "Refresh from Stripe" on the mirrored objects reads each selected object from Stripe again and writes
  it through the guarded upsert, as a sync does (an object gone at Stripe becomes a tombstone);
* "Replay" on the webhook events applies them again through the path of `stripe_process_events --ids`.

A read-only "Stripe mirror status" page (what `manage.py stripe_status` prints) is linked from the app's index,
for the staff who may view the webhook events.

Related objects link to one another (a subscription to its customer, items, prices, invoices and schedule), by id:
a relation is shown even when the other side is not mirrored yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import stripe
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext, quote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from . import models
from .billables import billable_model
from .conf import key_livemode
from .exceptions import StripeNotConfigured
from .payments.usage_reports import schedule_send
from .stripe_errors import unusable_stripe
from .sync.upsert import MODELS_BY_OBJECT, Outcome, upsert_from_stripe
from .webhooks.health import mirror_health
from .webhooks.processing import process_event

MAX_SELECTION = 100
"""The most rows one action handles in a request (each may cost a call to Stripe): more is a command's job."""

RELATED_SHOWN = 10
"""How many related objects a change page lists before linking to the rest."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REFRESH_OUTCOMES = ("updated", "unchanged", "deleted or ended at Stripe")
REPLAY_STATUSES = ("processed", "ignored", "failed", "skipped")


def admin_url(model: type[Model], object_id: str) -> str:
    # quote(): the admin escapes ids in URLs ("_" among others), as Stripe ids are full of them.
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[quote(object_id)])


def admin_link(model: type[Model], object_id: str | None, label: str | None = None) -> SafeString | None:
    """A link to the admin page of `model` object `object_id` (None, shown as "-", without an id)."""
    if not object_id:
        return None
    return format_html('<a href="{}">{}</a>', admin_url(model, object_id), label or object_id)


def linked(field: str, description: str | None = None) -> Callable[[Any, Model], SafeString | None]:
    """A column (list_display, readonly_fields) showing the row's relation `field` as a link, by id."""

    @admin.display(description=description or field.replace("_", " "), ordering=f"{field}_id")
    def column(self: Any, obj: Model) -> SafeString | None:
        return admin_link(obj._meta.get_field(field).related_model, getattr(obj, f"{field}_id"))

    return column


def related(related_name: str, description: str | None = None) -> Callable[[Any, Model], SafeString | None]:
    """A change-page field listing the row's `related_name` objects (newest first) as links, with a link to
    the whole filtered list when there are more."""

    @admin.display(description=description or related_name.replace("_", " "))
    def column(self: Any, obj: Model) -> SafeString | None:
        manager = getattr(obj, related_name)
        model, field = manager.model, manager.field.name
        rows = list(manager.order_by("-created", "-id")[: RELATED_SHOWN + 1])
        if not rows:
            return None
        links = ((admin_url(model, row.id), row.id, _detail(row)) for row in rows[:RELATED_SHOWN])
        shown = format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>{}', links)
        if len(rows) <= RELATED_SHOWN:
            return shown
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        every = f"{changelist}?{urlencode({f'{field}__exact': obj.pk})}"
        return format_html('{}<br><a href="{}">all {}</a>', shown, every, model._meta.verbose_name_plural)

    return column


def _detail(row: Model) -> str:
    notes = [note for note in (getattr(row, "status", None), "deleted" if row.deleted else None) if note]
    return f" ({', '.join(notes)})" if notes else ""


def too_many(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, command: str) -> bool:
    """Refuse a selection larger than MAX_SELECTION, pointing to the management command."""
    count = queryset.count()
    if count <= MAX_SELECTION:
        return False
    modeladmin.message_user(
        request,
        f"{count} {model_ngettext(queryset, count)} selected: select at most {MAX_SELECTION}, "
        f"or use `manage.py {command}`.",
        messages.WARNING,
    )
    return True


def summary(counts: Counter[str], order: Iterable[str]) -> str:
    """ "2 updated, 1 unchanged": the counts in `order`, then any other, leaving out the zeros."""
    names = list(dict.fromkeys([*order, *counts]))
    return ", ".join(f"{counts[name]} {name}" for name in names if counts[name])


def holds_change_permission(modeladmin: admin.ModelAdmin, request: HttpRequest) -> bool:
    """Whether the user holds the model's change permission (`<app>.change_<model>`), asked directly: the admin's
    `has_change_permission` is False for everyone, since no row is edited here."""
    opts = modeladmin.opts
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


def stripe_error(error: Exception) -> str:
    message = getattr(error, "user_message", None) or str(error)
    return f"{error.__class__.__name__}: {message}"


class ReadOnly:
    """Stripe is the source of truth: nothing is added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only pages. On the change page, each relation named in `links` is shown as a link (by the
    column `<relation>_link`, see `linked`) in the place of the plain field; `related_fields` are added."""

    search_fields = ("id",)
    list_per_page = 50
    links: tuple[str, ...] = ()
    related_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        links = (f"{name}_link" for name in self.links)
        return [*super().get_readonly_fields(request, obj), *links, *self.related_fields]

    def get_fields(self, request, obj=None) -> list[str]:
        fields = [f"{name}_link" if name in self.links else name for name in super().get_fields(request, obj)]
        fields = list(dict.fromkeys(fields))  # the link fields were appended too: keep them in the relation's place
        # The whole payload, long, comes last: the columns and the links above it.
        return [name for name in fields if name != "stripe_data"] + (["stripe_data"] if "stripe_data" in fields else [])


class MirrorAdmin(ReadOnlyAdmin):
    """A mirrored Stripe object: read-only, with "Refresh from Stripe" for users who may change the model."""

    actions = ["refresh_from_stripe"]

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return holds_change_permission(self, request)

    @admin.action(description="Refresh the selected %(verbose_name_plural)s from Stripe", permissions=["refresh"])
    def refresh_from_stripe(self, request: HttpRequest, queryset: QuerySet) -> None:
        if too_many(self, request, queryset, "stripe_sync"):
            return
        counts: Counter[str] = Counter()
        failures: list[str] = []
        stopped = None
        other_mode = 0
        livemode = key_livemode()
        for object_id, row_livemode, synced_at, was_deleted in queryset.values_list(
            "id", "livemode", "synced_at", "deleted"
        ):
            if livemode is not None and row_livemode != livemode:
                other_mode += 1  # the key's Stripe would answer 404, which would make it a tombstone
                continue
            try:
                with transaction.atomic():  # a failed refresh leaves the rest of the request's work alone
                    # Not before the row's state: what Stripe answers now is the newest, even in the same second.
                    outcome = upsert_from_stripe(self.model, object_id, synced_at or EPOCH)
            except (stripe.StripeError, StripeNotConfigured) as error:
                stopped = unusable_stripe(error)
                if stopped:  # every other object would fail alike
                    break
                failures.append(f"{object_id} ({stripe_error(error)})")
                continue
            if outcome in (Outcome.CREATED, Outcome.UPDATED):
                gone = not was_deleted and self.model.objects.filter(pk=object_id, deleted=True).exists()
                counts["deleted or ended at Stripe" if gone else "updated"] += 1
            else:
                counts["unchanged"] += 1
        done = sum(counts.values())
        if done:
            name = model_ngettext(self.model, done)
            self.message_user(
                request,
                f"{done} {name} refreshed from Stripe: {summary(counts, REFRESH_OUTCOMES)}.",
                messages.SUCCESS,
            )
        if other_mode:
            mode = "test" if livemode is False else "live"
            self.message_user(
                request,
                f"{other_mode} {model_ngettext(self.model, other_mode)} not refreshed: not of the API key's mode "
                f"({mode}).",
                messages.WARNING,
            )
        if failures:
            self.message_user(
                request,
                f"{len(failures)} {model_ngettext(self.model, len(failures))} not refreshed: {'; '.join(failures)}.",
                messages.ERROR,
            )
        if stopped:
            self.message_user(request, f"Refresh stopped, nothing more was read: {stopped}", messages.ERROR)


@admin.register(models.Product)
class ProductAdmin(MirrorAdmin):
    list_display = ("id", "name", "active", "livemode", "deleted", "synced_at")
    list_filter = ("active", "livemode", "deleted")
    search_fields = ("id", "name")
    links = ("default_price",)
    related_fields = ("prices",)
    default_price_link = linked("default_price")
    prices = related("prices")


@admin.register(models.Price)
class PriceAdmin(MirrorAdmin):
    list_display = ("id", "product_link", "nickname", "unit_amount", "currency", "recurring_interval", "active")
    list_filter = ("active", "currency", "type", "recurring_interval", "usage_type", "deleted")
    search_fields = ("id", "product__id", "lookup_key", "nickname")
    links = ("product", "meter")
    product_link = linked("product")
    meter_link = linked("meter")


@admin.register(models.BillingMeter)
class BillingMeterAdmin(MirrorAdmin):
    list_display = ("id", "display_name", "event_name", "formula", "status", "synced_at")
    list_filter = ("status", "formula", "livemode")
    search_fields = ("id", "event_name", "display_name")


@admin.register(models.MeterUsageSummary)
class MeterUsageSummaryAdmin(ReadOnlyAdmin):
    """What Stripe had counted of each meter, per customer and billing period, when last read."""

    list_display = ("customer_id", "meter_link", "start_time", "end_time", "aggregated_value", "refreshed_at")
    search_fields = ("customer_id", "meter__id", "meter__event_name")
    links = ("meter",)
    meter_link = linked("meter")


@admin.register(models.Customer)
class CustomerAdmin(MirrorAdmin):
    """Customers, each with the billable that holds it (a user, a team: STRIPE_BILLABLE_MODEL), found for the
    whole list page by a subquery of its one query."""

    list_display = ("id", "email", "name", "billable", "livemode", "deleted", "synced_at")
    list_filter = ("livemode", "deleted")
    search_fields = ("id", "email", "name")
    links = ("default_payment_method",)
    related_fields = ("billable", "subscriptions", "invoices", "payment_methods")
    default_payment_method_link = linked("default_payment_method")
    subscriptions = related("subscriptions")
    invoices = related("invoices")
    payment_methods = related("payment_methods")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        holders = billable_model()._default_manager.filter(stripe_customer_id=OuterRef("pk")).values("pk")[:1]
        return super().get_queryset(request).annotate(billable_pk=Subquery(holders))

    @admin.display(description="billable")
    def billable(self, obj: models.Customer) -> SafeString | str | None:
        """The row of the billable model holding this customer: a link to its admin page when its model is
        registered there, else its name as text; None ("-") when no billable holds it."""
        pk = getattr(obj, "billable_pk", None)
        if pk is None:
            return None
        model = billable_model()
        label = f"{model._meta.verbose_name} {pk}"
        if not self.admin_site.is_registered(model):
            return label
        return admin_link(model, str(pk), label)


class SubscriptionItemInline(ReadOnly, admin.TabularInline):
    """A subscription's items, with their prices and products, on the subscription's page."""

    model = models.SubscriptionItem
    fk_name = "subscription"
    fields = ("item", "price_link", "product_link", "quantity", "current_period_end", "deleted")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-deleted", "id")

    @admin.display(description="item")
    def item(self, obj: models.SubscriptionItem) -> SafeString | None:
        return admin_link(models.SubscriptionItem, obj.id)

    price_link = linked("price")
    product_link = linked("product")


@admin.register(models.Subscription)
class SubscriptionAdmin(MirrorAdmin):
    list_display = ("id", "customer_link", "status", "current_period_end", "cancel_at_period_end", "synced_at")
    list_filter = ("status", "cancel_at_period_end", "livemode", "deleted")
    search_fields = ("id", "customer__id", "customer__email")
    links = ("customer", "default_payment_method", "latest_invoice", "schedule")
    related_fields = ("invoices",)
    inlines = (SubscriptionItemInline,)
    customer_link = linked("customer")
    default_payment_method_link = linked("default_payment_method")
    latest_invoice_link = linked("latest_invoice")
    schedule_link = linked("schedule")
    invoices = related("invoices")


class SubscriptionSchedulePhaseInline(ReadOnly, admin.TabularInline):
    """A schedule's phases, in order, on the schedule's page."""

    model = models.SubscriptionSchedulePhase
    fields = ("position", "start_date", "end_date", "items")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.SubscriptionSchedule)
class SubscriptionScheduleAdmin(MirrorAdmin):
    list_display = ("id", "customer_link", "subscription_link", "status", "current_phase_end", "synced_at")
    list_filter = ("status", "end_behavior", "livemode", "deleted")
    search_fields = ("id", "customer__id", "customer__email", "subscription__id")
    links = ("customer", "subscription")
    inlines = (SubscriptionSchedulePhaseInline,)
    customer_link = linked("customer")
    subscription_link = linked("subscription")


@admin.register(models.SubscriptionItem)
class SubscriptionItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "subscription_link", "price_link", "product_link", "quantity", "current_period_end")
    list_filter = ("deleted",)
    search_fields = ("id", "subscription__id", "price__id", "product__id")
    links = ("subscription", "price", "product")
    subscription_link = linked("subscription")
    price_link = linked("price")
    product_link = linked("product")


@admin.register(models.Invoice)
class InvoiceAdmin(MirrorAdmin):
    list_display = ("id", "customer_link", "subscription_link", "status", "amount_due", "currency", "created")
    list_filter = ("status", "billing_reason", "livemode")
    search_fields = ("id", "number", "customer__id", "customer__email", "subscription__id")
    links = ("customer", "subscription")
    customer_link = linked("customer")
    subscription_link = linked("subscription")


@admin.register(models.PaymentMethod)
class PaymentMethodAdmin(MirrorAdmin):
    list_display = ("id", "customer_link", "type", "card_brand", "card_last4", "deleted")
    list_filter = ("type", "card_brand", "deleted")
    search_fields = ("id", "customer__id", "customer__email")
    links = ("customer",)
    customer_link = linked("customer")


@admin.register(models.ActiveEntitlement)
class ActiveEntitlementAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_link", "lookup_key", "feature", "deleted")
    list_filter = ("lookup_key", "deleted")
    search_fields = ("id", "customer__id", "lookup_key")
    links = ("customer",)
    customer_link = linked("customer")


@admin.register(models.EntitlementSummary)
class EntitlementSummaryAdmin(ReadOnlyAdmin):
    list_display = ("customer_id", "synced_at")
    search_fields = ("customer_id",)


@admin.register(models.TrialReservation)
class TrialReservationAdmin(ReadOnlyAdmin):
    list_display = ("customer_id", "subscription_id", "checkout_session_id", "reserved_at")
    search_fields = ("customer_id", "subscription_id", "checkout_session_id")


@admin.register(models.OpenCheckout)
class OpenCheckoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_id", "product_ids", "expires_at", "created")
    search_fields = ("id", "customer_id")


@admin.register(models.UsageReport)
class UsageReportAdmin(ReadOnlyAdmin):
    """The usage outbox: what `report_usage` wrote, whether Stripe took it, and its reason when it refused."""

    list_display = ("event_name", "value", "customer_id", "billable", "state", "attempts", "timestamp", "created_at")
    list_filter = ("state", "event_name")
    search_fields = ("identifier", "customer_id", "billable")
    date_hierarchy = "created_at"
    actions = ["send_again"]

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return holds_change_permission(self, request)

    @admin.action(description="Send the selected reports again (refused or pending ones)", permissions=["send_again"])
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        """After fixing the cause of a refusal (a meter reactivated): the reports are sent again, due now."""
        unsent = queryset.exclude(state=models.UsageReport.State.SENT)
        count = unsent.update(state=models.UsageReport.State.PENDING, next_attempt_at=timezone.now())
        transaction.on_commit(schedule_send)
        self.message_user(request, f"{count} usage report(s) will be sent again; sent ones were left alone.")


@admin.register(models.WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "status", "attempts", "created", "received_at", "processed_at")
    list_filter = ("status", "type", "livemode")
    search_fields = ("id", "type")
    readonly_fields = ("event_object", "error", "traceback")
    actions = ["replay_events"]

    @admin.display(description="object")
    def event_object(self, event: models.WebhookEvent) -> SafeString | None:
        """The mirrored object the event is about, linked."""
        obj = ((event.payload or {}).get("data") or {}).get("object") or {}
        model = MODELS_BY_OBJECT.get(obj.get("object"))
        return admin_link(model, obj.get("id")) if model is not None else obj.get("id")

    def get_urls(self) -> list[URLPattern]:
        # Before the model's own URLs, whose "<object_id>/" would take "status/" for an event's id.
        status = path("status/", self.admin_site.admin_view(self.status_view), name="django_stripe_mirror_status")
        return [status, *super().get_urls()]

    def status_view(self, request: HttpRequest) -> HttpResponse:
        """The mirror's health, for whoever may view the events (their view or change permission)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        health = mirror_health()
        context = {
            **self.admin_site.each_context(request),
            "title": "Stripe mirror status",
            "app_name": self.opts.app_config.verbose_name,
            "events_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "health": health,
            "lag": health.lag,
            "problems": health.problem_lines(),
        }
        return TemplateResponse(request, "admin/django_stripe/mirror_status.html", context)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # Replaying runs the project's own handlers again: for those who may change the events, not view them.
        return holds_change_permission(self, request)

    @admin.action(description="Replay the selected events (as stripe_process_events --ids)", permissions=["replay"])
    def replay_events(self, request: HttpRequest, queryset: QuerySet) -> None:
        if too_many(self, request, queryset, "stripe_process_events --ids ..."):
            return
        counts: Counter[str] = Counter()
        failed: list[str] = []
        for event_id in queryset.order_by("created", "id").values_list("id", flat=True):
            try:
                # force: a processed event is applied again; the guarded upsert makes that harmless.
                status = process_event(event_id, force=True, fatal=unusable_stripe)
            except Exception as error:
                stopped = unusable_stripe(error)
                if stopped is None:
                    raise  # the database failed recording a failure: nothing this page can help with
                self.message_user(
                    request,
                    f"Replay stopped, the event {event_id} and the ones after it were left as they were: {stopped}",
                    messages.ERROR,
                )
                break
            counts[status] += 1
            if status == models.WebhookEvent.Status.FAILED:
                failed.append(event_id)
        replayed = sum(counts.values())
        if replayed:
            level = messages.WARNING if failed else messages.SUCCESS
            self.message_user(
                request, f"{replayed} {_events(replayed)} replayed: {summary(counts, REPLAY_STATUSES)}.", level
            )
        if failed:
            self.message_user(
                request,
                f"{len(failed)} {_events(len(failed))} failed, see the error on each: {', '.join(_shown(failed))}.",
                messages.ERROR,
            )


def _events(count: int) -> str:
    return "event" if count == 1 else "events"


def _shown(ids: Iterable[str], limit: int = 10) -> list[str]:
    ids = list(ids)
    return ids[:limit] + ([f"and {len(ids) - limit} more"] if len(ids) > limit else [])


@admin.register(models.SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ("object_type", "synced_count", "starting_after", "pass_started_at", "completed_at")
