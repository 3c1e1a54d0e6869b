"""Writes about staff that touch more than one row."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from staff.models import User
from staff.roles import Role


@transaction.atomic
def user_set_role(*, user: User, role: Role) -> None:
    """Give her exactly one role: her permissions change from her next request on."""
    user.groups.set([Group.objects.get(name=role)])
    user.__dict__.pop("role", None)
