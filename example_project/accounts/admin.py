from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, Team, User


@admin.register(User)
class StripeUserAdmin(UserAdmin):
    list_display = ("username", "email", "stripe_customer_id", "allowed_access_until", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Stripe", {"fields": ("stripe_customer_id", "allowed_access_until")}))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "stripe_customer_id")
    inlines = [MembershipInline]
