from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class StripeUserAdmin(UserAdmin):
    list_display = ("username", "email", "stripe_customer_id", "allowed_access_until", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Stripe", {"fields": ("stripe_customer_id", "allowed_access_until")}))
