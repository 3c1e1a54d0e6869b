"""Her grant interviews are copied onto her episode (intake_on, follow_up_recorded, discharge_recorded), so that
"interviews due" reads one row per episode. The database keeps the copies: whatever writes, they are the
interviews'."""

from __future__ import annotations

import datetime
import importlib

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from patients import permissions
from patients.models import Episode, GrantInterview, InterviewKind, InterviewOutcome
from patients.services import discharge_reasons_for, grant_interview_correct, grant_interview_record, patient_discharge
from recovery_program.audit import Actor
from tests.factories import PatientFactory, on_caseload_of

NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)  # Monday noon in New York
TODAY = datetime.date(2026, 11, 30)
INTAKE = datetime.date(2026, 5, 15)  # follow-up window Oct 15 to Jan 15 (5 to 8 months)
BEFORE = [("patients", "0016_grantinterview_correction")]
MIGRATION = importlib.import_module("patients.migrations.0017_interviews_on_the_episode")


@pytest.fixture(autouse=True)
def clock(settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def woman(coach, supervisor):
    woman = PatientFactory(
        program=coach.program, clinical_provider=supervisor, enrollment_date=datetime.date(2026, 5, 14)
    )
    Episode.objects.create(program=woman.program, patient=woman, started_on=woman.enrollment_date)  # as enrolled
    on_caseload_of(woman, coach)
    return woman


def _record(user, woman, kind, dated_on, outcome=InterviewOutcome.DONE):
    return grant_interview_record(
        actor=Actor(user, None), patient=woman, kind=kind, outcome=outcome, dated_on=dated_on, outside_window=False
    )


def _copies(woman) -> tuple:
    return (
        Episode.objects.filter(patient=woman).values_list("intake_on", "follow_up_recorded", "discharge_recorded").get()
    )


def _due(supervisor) -> list[tuple[int, str]]:
    return [(e.patient_id, e.due_kind) for e in permissions.interviews_due_for(supervisor)]


@pytest.mark.django_db
def test_each_interview_recorded_is_on_her_episode_and_moves_her_on_the_due_list(coach, supervisor, woman):
    assert _copies(woman) == (None, False, False)
    assert _due(supervisor) == [(woman.pk, "intake")]

    _record(coach, woman, InterviewKind.INTAKE, INTAKE)
    assert _copies(woman) == (INTAKE, False, False)
    assert _due(supervisor) == [(woman.pk, "follow_up")]  # her window is open

    _record(coach, woman, InterviewKind.FOLLOW_UP, TODAY, outcome=InterviewOutcome.UNREACHABLE)
    assert _copies(woman) == (INTAKE, True, False)
    assert _due(supervisor) == []

    patient_discharge(
        actor=Actor(supervisor, None),
        patient=woman,
        reason=discharge_reasons_for(woman.program).get(code="moved"),
        ended_on=TODAY,
        summary="Moved.",
    )
    assert _due(supervisor) == [(woman.pk, "discharge")]
    _record(supervisor, woman, InterviewKind.DISCHARGE, TODAY)  # her coach no longer has her
    assert _copies(woman) == (INTAKE, True, True)
    assert _due(supervisor) == []


@pytest.mark.django_db
def test_a_corrected_intake_date_moves_her_window(coach, supervisor, woman):
    intake = _record(coach, woman, InterviewKind.INTAKE, INTAKE)
    assert _due(supervisor) == [(woman.pk, "follow_up")]

    grant_interview_correct(
        actor=Actor(supervisor, None),
        interview=intake,
        outcome=InterviewOutcome.DONE,
        dated_on=datetime.date(2026, 10, 1),  # her window now opens in March
        outside_window=False,
        reason="The intake was entered with the wrong month.",
    )

    assert _copies(woman)[0] == datetime.date(2026, 10, 1)
    assert _due(supervisor) == []


@pytest.mark.django_db
def test_an_episode_saved_from_an_old_copy_keeps_her_interviews(coach, woman):
    stale = Episode.objects.get(patient=woman)
    _record(coach, woman, InterviewKind.INTAKE, INTAKE)

    stale.summary = "Saved by a page opened before the interview was recorded."
    stale.save()

    assert _copies(woman) == (INTAKE, False, False)


@pytest.mark.django_db
def test_no_one_writes_the_copies_by_hand(coach, woman):
    _record(coach, woman, InterviewKind.INTAKE, INTAKE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_episode SET intake_on = NULL, follow_up_recorded = true, discharge_recorded = true"
            " WHERE patient_id = %s",
            [woman.pk],
        )
    assert _copies(woman) == (INTAKE, False, False)


@pytest.mark.django_db
def test_the_copies_add_nothing_to_the_episodes_history(coach, woman):
    episode = Episode.objects.get(patient=woman)
    events = Episode.pgh_event_model.objects.filter(pgh_obj=episode).count()

    _record(coach, woman, InterviewKind.INTAKE, INTAKE)

    assert Episode.pgh_event_model.objects.filter(pgh_obj=episode).count() == events


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_episodes_of_interviews_recorded_before_it(coach, supervisor, woman):
    _record(coach, woman, InterviewKind.INTAKE, INTAKE)
    _record(coach, woman, InterviewKind.FOLLOW_UP, TODAY)
    untouched = PatientFactory(program=coach.program)
    Episode.objects.create(program=untouched.program, patient=untouched, started_on=untouched.enrollment_date)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM patients_grantinterview")
            assert cursor.fetchone()[0] == 2
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # every app's latest: later tests need them all

    assert _copies(woman) == (INTAKE, True, False)
    assert _copies(untouched) == (None, False, False)
    assert GrantInterview.objects.count() == 2
