"""Staff administration leaves history: who changed which account, role or setting, and when, for admins to see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery_program.audit import Actor
from staff.models import StaffEvent, TrainingKind, TrainingRequirement
from staff.roles import Role
from staff.services import program_setup, user_set_role
from tests.factories import UserFactory, staff_details

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)  # 10:00 in New York
Action = StaffEvent.Action


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class AdminChange:
    """An admin's change through her pages: where she posts what, and the history row it must leave."""

    name: str
    url: Any  # (world) -> address
    data: Any  # (world) -> what she posts
    action: str
    subject: str | None  # whose account, or None for a program setting
    says: str  # part of the row's description

    def __str__(self) -> str:
        return self.name


def _kind(program):
    return TrainingKind.objects.get(program=program, name="CPR and first aid")


def _requirement(program):
    return TrainingRequirement.objects.get(program=program, role=Role.SUPERVISOR, kind__name="Suicide prevention")


CHANGES = [
    AdminChange(
        "account created",
        lambda w: reverse("staff:new"),
        lambda w: staff_details(w["coach"], username="coach_new", email="new@example.org", role="admin"),
        Action.ACCOUNT_CREATED,
        "new",
        "coach_new, admin",
    ),
    AdminChange(
        "details changed",
        lambda w: reverse("staff:edit", args=[w["coach"].pk]),
        lambda w: staff_details(w["coach"], phone="603-555-0150"),
        Action.DETAILS_CHANGED,
        "coach",
        "→ 603-555-0150",
    ),
    AdminChange(
        # A coach's new address is set when a supervisor confirms it (tests/workspace/test_role_approval.py).
        "e-mail address change proposed",
        lambda w: reverse("staff:edit", args=[w["coach"].pk]),
        lambda w: staff_details(w["coach"], email="mara.quill@example.org"),
        Action.CHANGE_PROPOSED,
        "coach",
        "E-mail address: coach_a@example.org → mara.quill@example.org",
    ),
    AdminChange(
        "role changed",
        lambda w: reverse("staff:role", args=[w["coach"].pk]),
        lambda w: {"role": "admin", "confirmed": "yes"},
        Action.ROLE_CHANGED,
        "coach",
        "Coach → Admin",
    ),
    AdminChange(
        # A clinical role is proposed; a supervisor approves it (tests/workspace/test_role_approval.py).
        "role change proposed",
        lambda w: reverse("staff:role", args=[w["coach"].pk]),
        lambda w: {"role": "supervisor"},
        Action.CHANGE_PROPOSED,
        "coach",
        "Coach → Supervisor",
    ),
    AdminChange(
        "deactivated",
        lambda w: reverse("staff:deactivate", args=[w["coach"].pk]),
        lambda w: {"confirmed": "yes"},
        Action.DEACTIVATED,
        "coach",
        "",
    ),
    AdminChange(
        "password link sent",
        lambda w: reverse("staff:password_link", args=[w["coach"].pk]),
        lambda w: {},
        Action.PASSWORD_LINK_SENT,
        "coach",
        "",
    ),
    AdminChange(
        # A coach's is turned off when a supervisor confirms it (tests/workspace/test_role_approval.py).
        "two-step login off proposed",
        lambda w: reverse("staff:two_step_off", args=[w["coach"].pk]),
        lambda w: {"confirmed": "yes"},
        Action.CHANGE_PROPOSED,
        "coach",
        "Two-step login off",
    ),
    AdminChange(
        "program settings changed",
        lambda w: reverse("staff:program"),
        lambda w: {
            "time_zone": "America/New_York",
            "office_opens": "09:00",
            "office_closes": "16:00",
            "office_days": ["0", "1", "2", "3", "4"],
            "escalation_minutes": 15,
            "no_contact_days": 14,
            "caseload_cap": 15,
        },
        Action.PROGRAM_SETTINGS_CHANGED,
        None,
        "Office closes: 17:00 → 16:00",
    ),
    AdminChange(
        "program time zone changed",
        lambda w: reverse("staff:program"),
        lambda w: {
            "time_zone": "America/Chicago",
            "office_opens": "09:00",
            "office_closes": "17:00",
            "office_days": ["0", "1", "2", "3", "4"],
            "escalation_minutes": 15,
            "no_contact_days": 14,
            "caseload_cap": 15,
        },
        Action.PROGRAM_SETTINGS_CHANGED,
        None,
        "Time zone: America/New_York → America/Chicago",
    ),
    AdminChange(
        "training kind added",
        lambda w: reverse("staff:training_kinds"),
        lambda w: {
            "add_kind": "1",
            "kind-name": "Naloxone training",
            "kind-validity_months": "24",
            "kind-is_active": "on",
        },
        Action.TRAINING_KIND_ADDED,
        None,
        "Naloxone training",
    ),
    AdminChange(
        "training kind changed",
        lambda w: reverse("staff:training_kind_edit", args=[_kind(w["program"]).pk]),
        lambda w: {"name": "CPR and first aid", "validity_months": "12", "is_active": "on"},
        Action.TRAINING_KIND_CHANGED,
        None,
        "CPR and first aid: Validity months: 24 → 12",
    ),
    AdminChange(
        "requirement added",
        lambda w: reverse("staff:training_kinds"),
        lambda w: {"add_requirement": "1", "req-role": "admin", "req-kind": _kind(w["program"]).pk},
        Action.REQUIREMENT_ADDED,
        None,
        "Admin: CPR and first aid",
    ),
    AdminChange(
        "requirement removed",
        lambda w: reverse("staff:requirement_remove", args=[_requirement(w["program"]).pk]),
        lambda w: {"confirmed": "yes"},
        Action.REQUIREMENT_REMOVED,
        None,
        "Supervisor: Suicide prevention",
    ),
]


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_each_change_an_admin_makes_is_in_the_staff_history_with_her_name(client_for, admin, coach, program, change):
    program_setup(program=program)
    TOTPDevice.objects.create(user=coach, name="phone", confirmed=True)
    world = {"admin": admin, "coach": coach, "program": program}
    before = set(StaffEvent.objects.values_list("pk", flat=True))

    response = client_for(admin).post(change.url(world), change.data(world))

    assert response.status_code == 302
    events = StaffEvent.objects.exclude(pk__in=before)
    assert [(e.actor, e.action, e.program) for e in events] == [(admin, change.action, program)]
    event = events.get()
    if change.subject == "new":
        assert event.subject.username == "coach_new"
    else:
        assert event.subject == (coach if change.subject else None)
    assert change.says in event.description
    assert event.at == NOW


def test_an_admin_reactivating_an_account_is_in_the_staff_history(client_for, admin, coach):
    client = client_for(admin)
    client.post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})

    client.post(reverse("staff:reactivate", args=[coach.pk]))

    latest = StaffEvent.objects.filter(subject=coach).first()
    assert (latest.actor, latest.action) == (admin, Action.REACTIVATED)


def test_a_change_that_changes_nothing_leaves_no_line(client_for, admin, coach, program):
    client = client_for(admin)
    before = StaffEvent.objects.count()
    client.post(reverse("staff:role", args=[coach.pk]), {"role": "coach"})
    client.post(reverse("staff:edit", args=[coach.pk]), staff_details(coach))
    client.post(reverse("staff:two_step_off", args=[coach.pk]), {"confirmed": "yes"})  # she had no two-step login
    assert StaffEvent.objects.count() == before


def test_accounts_set_up_by_the_operators_name_no_one(coach):
    event = StaffEvent.objects.get(subject=coach)
    assert (event.actor, event.action, event.description) == (None, Action.ROLE_CHANGED, "No role → Coach")


def _role_change(admin, member, role):
    user_set_role(actor=Actor(admin, None), user=member, role=role)


def test_admins_see_the_staff_history_of_their_own_program_only(client_for, admin, coach, outside_supervisor):
    _role_change(admin, coach, Role.SUPERVISOR)
    outside_admin = UserFactory(program=outside_supervisor.program, role=Role.ADMIN)
    _role_change(outside_admin, outside_supervisor, Role.ADMIN)

    response = client_for(admin).get(reverse("staff:history"))

    assert response.status_code == 200
    shown = list(response.context["page"])
    assert [(e.subject, e.get_action_display()) for e in shown[:1]] == [(coach, "Role changed")]
    assert all(event.program_id == admin.program_id for event in shown)
    page = response.content.decode()
    assert "Coach → Supervisor" in page
    assert "Mar 2, 2027, 10:00 a.m." in page
    assert str(outside_supervisor) not in page


def test_an_admin_reads_the_history_of_one_account(client_for, admin, coach, other_coach):
    _role_change(admin, coach, Role.SUPERVISOR)
    _role_change(admin, other_coach, Role.ADMIN)

    response = client_for(admin).get(reverse("staff:history"), {"member": coach.pk})

    assert {event.subject for event in response.context["page"]} == {coach}


def test_the_history_of_an_account_of_another_program_is_not_there(client_for, admin, outside_supervisor):
    response = client_for(admin).get(reverse("staff:history"), {"member": outside_supervisor.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["coach", "supervisor", "outside_supervisor"])
def test_coaches_and_supervisors_do_not_see_the_staff_history(client_for, request, admin, who):
    # Supervisors see the staff list but do not manage accounts: the history of that work is the admins'.
    _role_change(admin, request.getfixturevalue("other_coach"), Role.SUPERVISOR)
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("staff:history")).status_code == 404
    assert "Staff history" not in client.get(reverse("home")).content.decode()


def test_the_admins_menu_leads_to_the_staff_history(client_for, admin):
    assert reverse("staff:history") in client_for(admin).get(reverse("home")).content.decode()


def test_the_staff_history_runs_the_same_queries_with_three_or_thirty_lines(
    client_for, admin, coach, django_assert_max_num_queries
):
    client = client_for(admin)
    client.get(reverse("home"))  # the first request after logging in settles the session

    def count():
        with django_assert_max_num_queries(50) as queries:
            assert client.get(reverse("staff:history")).status_code == 200
        return len(queries)

    roles = [Role.SUPERVISOR, Role.COACH]
    for n in range(3):
        _role_change(admin, coach, roles[n % 2])
    few = count()
    for n in range(27):
        _role_change(admin, coach, roles[(n + 1) % 2])
    assert count() == few


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql", ["UPDATE staff_staffevent SET description = '' WHERE id = %s", "DELETE FROM staff_staffevent WHERE id = %s"]
)
def test_the_staff_history_cannot_be_changed_or_removed_even_as_raw_sql(admin, coach, sql):
    _role_change(admin, coach, Role.SUPERVISOR)
    event = StaffEvent.objects.first()
    with pytest.raises(ProgrammingError, match=r"Cannot (update|delete)"):
        _raw(sql, [event.pk])
    assert StaffEvent.objects.get(pk=event.pk).description == "Coach → Supervisor"
