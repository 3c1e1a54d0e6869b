"""The benchmark's data set (`manage.py seed_scale`), in miniature: a smoke run of what builds a state's data."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from coaching.models import Barc10, Concern, Encounter, GoalStep, RecoveryGoal, SafetyPlan
from patients.models import Episode, GrantInterview, InterviewKind, Patient, Pregnancy
from patients.permissions import patients_visible_to
from recovery_program.models import AccessLog
from staff.models import Program, User

pytestmark = pytest.mark.django_db

SMALL = {
    "programs": 3,
    "supervisors": 4,
    "coaches": 9,
    "patients": 120,
    "encounters": 3000,
    "concerns": 300,
    "access_log": 2000,
}


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_scale", **SMALL)


def test_it_builds_uneven_programs_with_every_count_asked_for(seeded):
    assert Program.objects.filter(name__startswith="Scale program").count() == 3
    assert Patient.objects.count() == 120
    assert Encounter.objects.count() == 3000
    assert Concern.objects.count() == 300
    assert AccessLog.objects.count() == 2000
    biggest, *rest = (Program.objects.get(name=f"Scale program {n}").patients.count() for n in (1, 2, 3))
    assert all(biggest > size for size in rest)


def test_every_record_is_of_its_coachs_caseload_and_program(seeded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM coaching_encounterpatient ep"
            " JOIN coaching_encounter e ON e.id = ep.encounter_id"
            " JOIN patients_patient p ON p.id = ep.patient_id"
            " JOIN patients_coachassignment a ON a.patient_id = p.id AND a.ended_on IS NULL"
            " WHERE a.coach_id <> e.coach_id OR p.program_id <> e.program_id"
        )
        assert cursor.fetchone()[0] == 0
    assert Episode.objects.filter(ended_on__isnull=True).count() == Patient.objects.count()
    coach = User.objects.get(username="p1-coach1")
    assert patients_visible_to(coach).count() == Patient.objects.filter(assignments__coach=coach).count() > 0


def test_its_grant_interviews_are_as_a_program_keeps_them_and_on_their_episodes(seeded):
    intakes = GrantInterview.objects.filter(kind=InterviewKind.INTAKE)
    follow_ups = GrantInterview.objects.filter(kind=InterviewKind.FOLLOW_UP)
    assert 0 < follow_ups.count() < intakes.count() < Episode.objects.count()
    # The copies are what the database's own trigger gives when the episode is touched again.
    seeded_copies = set(Episode.objects.values_list("pk", "intake_on", "follow_up_recorded", "discharge_recorded"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")  # the seed's load ran with triggers off
        cursor.execute("UPDATE patients_episode SET intake_on = NULL")
    assert set(Episode.objects.values_list("pk", "intake_on", "follow_up_recorded", "discharge_recorded")) == (
        seeded_copies
    )
    # Each follow-up within its window, as the interviews' own trigger holds it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_grantinterview SET dated_on = dated_on")


def test_her_other_records_are_there_and_hold_to_the_databases_rules(seeded):
    for model in (Pregnancy, SafetyPlan, Barc10, RecoveryGoal, GoalStep):
        assert model.objects.exists(), model.__name__
    # Written by her own coach, in her own program (the load ran with the triggers that check it off).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM coaching_barc10 b JOIN patients_coachassignment a ON a.patient_id = b.patient_id"
            " JOIN patients_patient p ON p.id = b.patient_id"
            " WHERE a.coach_id <> b.entered_by_id OR p.program_id <> b.program_id"
        )
        assert cursor.fetchone()[0] == 0
    # Her due and delivery dates are her pregnancy's, as the database's own trigger gives them when touched.
    dates = set(Patient.objects.values_list("pk", "due_date", "delivery_date", "version"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("UPDATE patients_patient SET due_date = due_date")
    assert set(Patient.objects.values_list("pk", "due_date", "delivery_date", "version")) == dates


def test_a_seeded_coach_and_supervisor_can_work(seeded, client_for):
    assert client_for(User.objects.get(username="p2-coach1")).get(reverse("patients:list")).status_code == 200
    supervisor = User.objects.get(username="p2-supervisor1")
    response = client_for(supervisor).get(reverse("coaching:encounter_list"))
    assert len(response.context["page"]) == 25


def test_it_refuses_a_database_with_patients_and_a_production_setting(seeded, settings):
    with pytest.raises(CommandError, match="no patients"):
        call_command("seed_scale", **SMALL)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_scale", **SMALL)
