from __future__ import annotations

from functools import cached_property

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from staff.roles import Role


class Program(models.Model):
    """A site or clinic. Every staff member and every patient belongs to exactly one."""

    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Leave blank to use the server's time zone.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(username__iexact=username)


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A staff member: a coach, a supervisor or an admin of one program."""

    email = models.EmailField("e-mail address")
    phone = models.CharField(max_length=32, blank=True, help_text="Shown to colleagues who need to reach her.")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="staff")

    objects = StaffManager()

    REQUIRED_FIELDS = ["email", "program"]

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="staff_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="staff_user_email_ci_unique"),
        ]
        permissions = [
            ("view_program_staff", "Can see the staff of her own program"),
            ("manage_staff", "Can manage staff accounts of her own program"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role(self) -> Role | None:
        """Her role, read from her group (uses prefetched groups when present). For display."""
        names = {group.name for group in self.groups.all()}
        return next((role for role in Role if role.value in names), None)
