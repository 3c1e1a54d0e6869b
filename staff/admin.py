from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from staff.models import Program, User


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "program", "is_active"]
    list_filter = ["program", "groups", "is_active"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Program", {"fields": ("program", "phone")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "program", "password1", "password2")}),
    )
