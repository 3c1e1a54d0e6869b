"""The program's BARC-10 in the reports: totals per quarter and each woman's change, chart = table = CSV, from
records with known answers; only the supervisor's own program counts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from patients.models import Episode
from staff.roles import Role
from tests.factories import PatientFactory, UserFactory, on_caseload_of, take_barc10
from tests.workspace.test_reports import _report, _table

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 4, 2, 15, 0, tzinfo=datetime.UTC)
PERIOD = {"period": "dates", "start": "2026-10-01", "end": "2027-03-31"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _answers(total: int) -> tuple[int, ...]:
    """Ten answers from 1 to 6 that add up to `total`."""
    base, more = divmod(total, 10)
    return tuple(base + 1 if n < more else base for n in range(10))


def _woman(program, supervisor, coach, *totals: tuple[str, int]):
    woman = PatientFactory(program=program, clinical_provider=supervisor, enrollment_date=datetime.date(2026, 9, 1))
    Episode.objects.create(program=program, patient=woman, started_on=woman.enrollment_date)
    on_caseload_of(woman, coach)
    for day, total in totals:
        take_barc10(coach, woman, taken_on=datetime.date.fromisoformat(day), answers=_answers(total))
    return woman


@pytest.fixture
def known(program, supervisor, coach, other_coach, outside_supervisor, other_program):
    _woman(program, supervisor, coach, ("2026-10-05", 20), ("2027-01-10", 35), ("2027-03-20", 40))  # rose 20
    _woman(program, supervisor, coach, ("2026-11-01", 30), ("2027-02-01", 25))  # fell 5
    _woman(program, supervisor, coach, ("2026-12-01", 50))  # one only
    _woman(program, supervisor, other_coach, ("2027-02-15", 44), ("2027-03-15", 44))  # the same
    _woman(program, supervisor, coach, ("2026-09-20", 12), ("2027-04-01", 60))  # both outside the period
    outside_coach = UserFactory(program=other_program, role=Role.COACH)
    _woman(other_program, outside_supervisor, outside_coach, ("2027-01-05", 60), ("2027-02-05", 10))


def test_the_quarters_count_their_barc10s_with_median_and_quartiles(client_for, supervisor, known):
    table = _table(_report(client_for(supervisor), **PERIOD), "barc10")
    assert table == {
        "2026 Q4": ["3", "3", "25.0", "30.0", "40.0"],
        "2027 Q1": ["5", "3", "35.0", "40.0", "44.0"],
    }


def test_the_change_from_first_to_latest_counts_women_with_two_or_more(client_for, supervisor, known):
    table = _table(_report(client_for(supervisor), **PERIOD), "barc10-change")
    assert table == {
        "Women with two or more": ["3"],
        "Rose": ["1"],
        "Fell": ["1"],
        "Stayed the same": ["1"],
        "Median first total": ["30.0"],
        "Median latest total": ["40.0"],
        "Median change": ["0.0"],
    }


def test_one_coach_narrows_it_to_her_caseload(client_for, supervisor, coach, known):
    sections = _report(client_for(supervisor), **PERIOD, coach=coach.pk)
    assert _table(sections, "barc10-change")["Women with two or more"] == ["2"]
    assert _table(sections, "barc10")["2027 Q1"][:2] == ["3", "2"]


@pytest.mark.parametrize("slug", ["barc10", "barc10-change"])
def test_chart_table_and_csv_hold_the_same_numbers(client_for, supervisor, known, slug):
    client = client_for(supervisor)
    section = _report(client, **PERIOD)[slug]
    header, rows = section["header"], {row[0]: row for row in section["rows"]}
    assert section["bars"]
    for group, series, value in section["bars"]:
        assert rows[group][header.index(series)] == value
    download = client.get(reverse("reports"), {**PERIOD, "download": slug})
    assert list(csv.reader(io.StringIO(download.content.decode()))) == [header, *section["rows"]]
