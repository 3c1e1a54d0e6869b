from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from staff.models import Program, User
from staff.services import program_setup


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A new program starts with the standard kinds of training and role requirements.
        program_setup(program=obj)


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
