"""Read-only admin pages for the mirror: Stripe is the source of truth, so nothing is edited here."""

from __future__ import annotations

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    search_fields = ("id",)
    list_per_page = 50

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "active", "livemode", "deleted", "synced_at")
    list_filter = ("active", "livemode", "deleted")
    search_fields = ("id", "name")


@admin.register(models.Price)
class PriceAdmin(ReadOnlyAdmin):
    list_display = ("id", "product_id", "nickname", "unit_amount", "currency", "recurring_interval", "active")
    list_filter = ("active", "currency", "type", "recurring_interval", "deleted")
    search_fields = ("id", "product__id", "lookup_key", "nickname")


@admin.register(models.Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("id", "email", "name", "livemode", "deleted", "synced_at")
    list_filter = ("livemode", "deleted")
    search_fields = ("id", "email", "name")


@admin.register(models.Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_id", "status", "current_period_end", "cancel_at_period_end", "synced_at")
    list_filter = ("status", "cancel_at_period_end", "livemode", "deleted")
    search_fields = ("id", "customer__id", "customer__email")


@admin.register(models.SubscriptionItem)
class SubscriptionItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "subscription_id", "price_id", "product_id", "quantity", "current_period_end")
    list_filter = ("deleted",)
    search_fields = ("id", "subscription__id", "price__id", "product__id")


@admin.register(models.Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_id", "subscription_id", "status", "amount_due", "currency", "created")
    list_filter = ("status", "billing_reason", "livemode")
    search_fields = ("id", "number", "customer__id", "customer__email")


@admin.register(models.PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_id", "type", "card_brand", "card_last4", "deleted")
    list_filter = ("type", "card_brand", "deleted")
    search_fields = ("id", "customer__id", "customer__email")


@admin.register(models.ActiveEntitlement)
class ActiveEntitlementAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_id", "lookup_key", "feature", "deleted")
    list_filter = ("lookup_key", "deleted")
    search_fields = ("id", "customer__id", "lookup_key")


@admin.register(models.WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "status", "attempts", "created", "received_at", "processed_at")
    list_filter = ("status", "type", "livemode")
    search_fields = ("id", "type")
    readonly_fields = ("error", "traceback")


@admin.register(models.SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ("object_type", "synced_count", "starting_after", "pass_started_at", "completed_at")
