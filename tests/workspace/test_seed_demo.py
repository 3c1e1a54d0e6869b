from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command

from coaching.models import Appointment, Encounter, EncounterKind, SafetyPlan
from coaching.permissions import encounters_visible_to
from coaching.week import week_of
from patients.models import Child, CoachAssignment, Consent, Patient, StatusChange
from patients.permissions import patients_visible_to
from staff.models import Program, User
from supervision.queue import queue_for

pytestmark = pytest.mark.django_db


def _snapshot():
    users = list(User.objects.order_by("username").values_list("username", "email", "program__name", "password"))
    roles = list(User.groups.through.objects.order_by("user__username").values_list("user__username", "group__name"))
    clinical = [
        list(model.objects.order_by("pk").values())
        for model in (Patient, Child, CoachAssignment, Consent, StatusChange, SafetyPlan)
    ]
    return users, roles, list(Program.objects.values_list("name", flat=True)), Group.objects.count(), clinical


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
        "coach3": "coach",
        "supervisor1": "supervisor",
        "supervisor2": "supervisor",
        "clinician1": "supervisor",
        "admin1": "admin",
    }
    assert User.objects.get(username="coach1").check_password("recovery-demo-2026")


def test_seed_demo_if_empty_leaves_a_used_database_alone(coach):
    call_command("seed_demo", "--if-empty")
    assert not User.objects.filter(username="coach1").exists()


def test_seed_demo_gives_each_coach_a_caseload_with_one_reassignment():
    call_command("seed_demo")
    coach1, coach2 = User.objects.get(username="coach1"), User.objects.get(username="coach2")
    assert Patient.objects.count() == 13  # one of them discharged: she left coach2's caseload
    assert patients_visible_to(coach1).count() == 7  # Courtney was transferred to her from coach2
    assert patients_visible_to(coach2).count() == 5
    reassigned = CoachAssignment.objects.filter(ended_on__isnull=False, end_reason__startswith="Reassigned").get()
    assert reassigned.coach == coach2
    assert reassigned.patient in patients_visible_to(coach1)
    assert Consent.objects.exists()


def test_seed_demo_has_a_woman_transferred_after_a_warm_handoff():
    call_command("seed_demo")
    coach1, coach2 = User.objects.get(username="coach1"), User.objects.get(username="coach2")
    transfer = CoachAssignment.objects.exclude(handoff_note="").get()
    assert transfer.coach == coach1
    assert transfer.previous_coach_note
    handoff = Encounter.objects.get(kind=EncounterKind.WARM_HANDOFF)
    assert handoff.coach == coach2
    assert handoff.other_coach == coach1
    # coach1 reads the encounters coach2 logged with her before the transfer.
    assert encounters_visible_to(coach1).filter(coach=coach2, patients=transfer.patient).count() > 1
    call_command("seed_demo")  # safe to run again: one transfer
    assert CoachAssignment.objects.exclude(handoff_note="").count() == 1


def test_seed_demo_has_a_woman_discharged_and_one_in_residential_care():
    call_command("seed_demo")
    discharged = Patient.objects.get(status="discharged")
    assert discharged.episodes.get().discharge_reason.code == "moved"
    in_care = Patient.objects.in_higher_care().get()
    assert in_care.higher_care_stays.get().kind == "residential"
    assert in_care.assignments.filter(ended_on__isnull=True).exists()  # still on her coach's caseload


# 23:30 in New York on 30 November, after the clocks went back: 120 days of 24 hours earlier is 00:30 on
# 3 August, 119 days back on the calendar, so a plan gone over "120 days ago" read as 119 when days were hours.
LAST_HOUR_AFTER_THE_CLOCKS_WENT_BACK = datetime.datetime(2026, 12, 1, 4, 30, tzinfo=datetime.UTC)


@time_machine.travel(LAST_HOUR_AFTER_THE_CLOCKS_WENT_BACK, tick=False)
def test_seed_demo_gives_women_safety_plans_one_overdue_and_one_after_a_relapse():
    call_command("seed_demo")
    coach, supervisor = User.objects.get(username="coach1"), User.objects.get(username="supervisor1")
    assert SafetyPlan.objects.count() == 3
    reasons = [patient.plan_reason for patient in queue_for(supervisor, coach).safety_plans]
    assert any(reason.startswith("Not gone over in 12") for reason in reasons), reasons
    assert any("return to use" in reason for reason in reasons)
    assert "No safety plan yet" in reasons
    assert Encounter.objects.filter(naloxone_kits__gt=0).exists()


def test_seed_demo_fills_the_demo_coaches_weeks_once():
    call_command("seed_demo")
    call_command("seed_demo")
    coach = User.objects.get(username="coach1")
    week = week_of(coach, coach)
    assert sum(len(day.appointments) for day in week.days) == 6
    assert week.overdue
    assert Appointment.objects.filter(coach__username="coach2").count() == 6
