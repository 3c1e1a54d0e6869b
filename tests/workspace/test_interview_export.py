"""The grant's interviews as a download: due and done dates, never answers, de-identified unless asked."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from patients.models import InterviewKind, InterviewOutcome
from patients.services import grant_interview_record
from recovery_program.audit import Actor
from tests.factories import PatientFactory, on_caseload_of
from tests.workspace.test_exports import URL, _choices, _rows

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
PERIOD = {"kind": "interviews", "starts_on": "2026-11-01", "ends_on": "2026-11-30"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def interviewed(coach, supervisor):
    woman = PatientFactory(
        program=coach.program,
        legal_name="Juniper Hale",
        clinical_provider=supervisor,
        enrollment_date=datetime.date(2026, 5, 14),
    )
    on_caseload_of(woman, coach)
    actor = Actor(coach, None)
    grant_interview_record(
        actor=actor,
        patient=woman,
        kind=InterviewKind.INTAKE,
        outcome=InterviewOutcome.DONE,
        dated_on=datetime.date(2026, 5, 15),
    )
    grant_interview_record(
        actor=actor,
        patient=woman,
        kind=InterviewKind.FOLLOW_UP,
        outcome=InterviewOutcome.DONE,
        dated_on=datetime.date(2026, 11, 2),
    )
    return woman


def test_the_file_holds_months_and_outcomes_with_no_name(client_for, supervisor, interviewed):
    rows = _rows(client_for(supervisor).post(URL, _choices(**PERIOD)))
    assert rows[0][:3] == ["Woman", "Intake interview", "Follow-up window opens"]
    assert rows[1][0].startswith("W-")
    assert rows[1][1:7] == ["2026-05", "2026-10", "2027-01", "Done", "2026-11", "no"]
    assert "Juniper" not in str(rows)
    assert str(interviewed.pk) != rows[1][0]


def test_an_identified_file_has_her_name_and_days(client_for, supervisor, interviewed):
    rows = _rows(client_for(supervisor).post(URL, _choices(**PERIOD, identified="on", reason="The funder's audit")))
    assert rows[-1][1:5] == ["Juniper Hale", "2026-05-15", "2026-10-15", "2027-01-15"]


def test_another_program_downloads_none_of_ours(client_for, outside_supervisor, interviewed):
    assert len(_rows(client_for(outside_supervisor).post(URL, _choices(**PERIOD)))) == 1


def test_coaches_and_admins_get_a_404(client_for, coach, admin, interviewed):
    for user in (coach, admin):
        assert client_for(user).post(URL, _choices(**PERIOD)).status_code == 404
