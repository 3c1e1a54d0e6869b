"""The grant's follow-up rate in the supervisors' reports: women whose window closed in the period, interviewed
within it, against the program's target; chart, table and CSV agree, on records whose answers are known."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from patients.models import Episode, InterviewKind, InterviewOutcome
from patients.services import grant_interview_record
from recovery_program.audit import Actor
from tests.factories import PatientFactory, on_caseload_of
from tests.workspace.test_reports import _report, _table

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)
PERIOD = {"period": "dates", "start": "2027-01-04", "end": "2027-02-28"}
D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _interviewed(program, supervisor, coach, intake: str, follow_up: str | None = None, **follow):
    woman = PatientFactory(program=program, clinical_provider=supervisor, enrollment_date=D(intake))
    Episode.objects.create(program=program, patient=woman, started_on=woman.enrollment_date)
    on_caseload_of(woman, coach)
    actor = Actor(coach, None)
    record = {"actor": actor, "patient": woman}
    grant_interview_record(**record, kind=InterviewKind.INTAKE, outcome=InterviewOutcome.DONE, dated_on=D(intake))
    if follow_up:
        grant_interview_record(**record, kind=InterviewKind.FOLLOW_UP, dated_on=D(follow_up), **follow)
    return woman


@pytest.fixture
def known(program, supervisor, coach, other_coach, outside_supervisor, other_program):
    done = {"outcome": InterviewOutcome.DONE}
    _interviewed(program, supervisor, coach, "2026-05-10", "2026-11-10", **done)  # window closes Jan 10: within
    _interviewed(program, supervisor, coach, "2026-06-01", "2026-10-20", **done, outside_window=True)  # early
    _interviewed(program, supervisor, coach, "2026-06-15", "2027-01-20", outcome=InterviewOutcome.UNREACHABLE)
    _interviewed(program, supervisor, coach, "2026-06-20")  # closes Feb 20, nothing recorded: missed
    _interviewed(program, supervisor, other_coach, "2026-05-20", "2026-12-01", **done)  # another coach's, within
    _interviewed(program, supervisor, coach, "2026-08-01", "2027-02-01", **done)  # closes Apr 1: not this period
    outside_coach = outside_supervisor  # another program's woman: never counted
    _interviewed(other_program, outside_supervisor, outside_coach, "2026-05-10")


def test_the_rate_counts_the_women_whose_window_closed(client_for, supervisor, known):
    rate = _table(_report(client_for(supervisor), **PERIOD), "follow-up")
    assert rate == {
        "Women whose window closed": ["5"],
        "Interviewed within the window": ["2"],
        "Interviewed outside the window": ["1"],
        "Could not be reached": ["1"],
        "Declined": ["0"],
        "No interview recorded": ["1"],
        "Follow-up rate (%)": ["40.0"],
        "Target (%)": ["80"],
    }


def test_one_coach_counts_her_caseload(client_for, supervisor, coach, known):
    rate = _table(_report(client_for(supervisor), **PERIOD, coach=coach.pk), "follow-up")
    assert rate["Women whose window closed"] == ["4"]
    assert rate["Follow-up rate (%)"] == ["25.0"]


def test_the_chart_the_table_and_the_csv_agree(client_for, supervisor, known):
    client = client_for(supervisor)
    section = _report(client, **PERIOD)["follow-up"]
    rows = {row[0]: row for row in section["rows"]}
    assert section["bars"]
    for group, series, value in section["bars"]:
        assert rows[group][section["header"].index(series)] == value
    download = client.get(reverse("reports"), {**PERIOD, "download": "follow-up"})
    assert list(csv.reader(io.StringIO(download.content.decode()))) == [section["header"], *section["rows"]]


def test_the_target_is_the_programs(client_for, supervisor, program, known):
    program.interview_target_percent = 75
    program.save()
    assert _table(_report(client_for(supervisor), **PERIOD), "follow-up")["Target (%)"] == ["75"]
