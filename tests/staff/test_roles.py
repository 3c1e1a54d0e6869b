"""Roles are groups with permissions; a user has one role at a time."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from recovery_program.audit import Actor
from staff.roles import Role
from staff.services import user_set_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _perms(role):
    return set(Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename"))


def test_coaches_hold_no_program_wide_patient_permission():
    # A coach's access to patients comes only from her caseload's object permissions.
    assert ("patients", "view_patient") not in _perms(Role.COACH)
    assert ("patients", "change_patient_contact") not in _perms(Role.COACH)
    assert ("patients", "view_caseload") in _perms(Role.COACH)


def test_admins_hold_no_clinical_permission_but_counts():
    clinical = {
        perm
        for perm in _perms(Role.ADMIN)
        if perm[0] not in {"staff", "supervision"} and not perm[1].endswith("_resource")
    }
    assert clinical == {("patients", "view_patient_counts")}


def test_supervisors_hold_the_clinical_permissions_for_their_program():
    assert {("patients", "view_patient"), ("patients", "assign_coach"), ("patients", "view_access_log")} <= _perms(
        Role.SUPERVISOR
    )
    assert ("staff", "manage_staff") not in _perms(Role.SUPERVISOR)


def test_setting_a_role_replaces_the_old_one(admin, coach):
    user_set_role(actor=Actor(admin, None), user=coach, role=Role.SUPERVISOR)
    assert list(coach.groups.values_list("name", flat=True)) == [Role.SUPERVISOR]
    assert coach.role == Role.SUPERVISOR


def test_a_role_change_takes_effect_on_the_next_request(client_for, admin, coach):
    client = client_for(coach)
    assert client.get(reverse("staff:list")).status_code == 404
    user_set_role(actor=Actor(admin, None), user=coach, role=Role.SUPERVISOR)
    assert client.get(reverse("staff:list")).status_code == 200


@pytest.mark.parametrize("who", ["coach", "supervisor", "admin"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/staff/user/"])
def test_program_staff_get_no_operators_admin_site_and_no_redirect_loop(request, client_for, who, path):
    assert client_for(request.getfixturevalue(who)).get(path, follow=True).status_code == 404


def test_someone_not_logged_in_is_sent_to_log_in_for_the_admin_site(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert response.status_code == 200


def test_an_operator_gets_the_admin_site(client_for, admin):
    operator = UserFactory(program=admin.program, is_superuser=True, is_staff=True)
    assert client_for(operator).get("/admin/").status_code == 200
