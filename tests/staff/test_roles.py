"""Roles are groups with permissions; a user has one role at a time."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from staff.roles import Role
from staff.services import user_set_role

pytestmark = pytest.mark.django_db


def test_the_three_roles_exist_with_their_permissions():
    def perms(role):
        return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))

    assert perms(Role.COACH) == set()
    assert perms(Role.SUPERVISOR) == {"view_program_staff"}
    assert perms(Role.ADMIN) == {"view_program_staff", "manage_staff"}


def test_setting_a_role_replaces_the_old_one(coach):
    user_set_role(user=coach, role=Role.SUPERVISOR)
    assert list(coach.groups.values_list("name", flat=True)) == [Role.SUPERVISOR]
    assert coach.role == Role.SUPERVISOR


def test_a_role_change_takes_effect_on_the_next_request(client_for, coach):
    client = client_for(coach)
    assert client.get(reverse("staff:list")).status_code == 403
    user_set_role(user=coach, role=Role.SUPERVISOR)
    assert client.get(reverse("staff:list")).status_code == 200


def test_program_staff_cannot_use_the_operators_admin_site(client_for, admin):
    response = client_for(admin).get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response.url
