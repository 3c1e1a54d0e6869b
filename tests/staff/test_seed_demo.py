from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from staff.models import Program, User

pytestmark = pytest.mark.django_db


def _snapshot():
    users = list(User.objects.order_by("username").values_list("username", "email", "program__name", "password"))
    roles = list(User.groups.through.objects.order_by("user__username").values_list("user__username", "group__name"))
    return users, roles, list(Program.objects.values_list("name", flat=True)), Group.objects.count()


def test_seed_demo_run_twice_leaves_the_same_rows():
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first


def test_seed_demo_creates_the_documented_logins():
    call_command("seed_demo")
    roles = dict(User.groups.through.objects.values_list("user__username", "group__name"))
    assert roles == {
        "coach1": "coach",
        "coach2": "coach",
        "supervisor1": "supervisor",
        "supervisor2": "supervisor",
        "admin1": "admin",
    }
    assert User.objects.get(username="coach1").check_password("recovery-demo-2026")


def test_seed_demo_if_empty_leaves_a_used_database_alone(coach):
    call_command("seed_demo", "--if-empty")
    assert not User.objects.filter(username="coach1").exists()
