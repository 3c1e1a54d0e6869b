"""The weekly queue shows a woman in a higher level of care with the day she went and when she is expected back;
"no encounter in N days" leaves her out while she is there, and counts from her return."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.services import higher_care_end, higher_care_start
from recovery_program.audit import Actor
from supervision.queue import queue_for
from tests.factories import PatientFactory, log_encounter, on_caseload_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def quiet(coach, supervisor, supervised):
    """A woman on the coach's caseload with no encounter for 30 days (the program's rule is 14)."""
    patient = PatientFactory(program=coach.program, clinical_provider=supervisor, legal_name="Quinn Quiet")
    on_caseload_of(patient, coach)
    with time_machine.travel(timezone.now() - 30 * DAY, tick=False):
        log_encounter(coach, [patient])
    return patient


def _went(supervisor, patient, days_ago=20, back_in=10):
    today = timezone.localdate()
    return higher_care_start(
        actor=Actor(supervisor, None),
        patient=patient,
        kind="residential",
        started_on=today - days_ago * DAY,
        expected_return_on=today + back_in * DAY if back_in is not None else None,
    )


def test_without_a_stay_she_is_flagged_for_no_contact(supervisor, coach, quiet):
    assert quiet in queue_for(supervisor, coach).no_contact


def test_in_residential_care_she_is_not_flagged_and_shows_with_her_dates(client_for, supervisor, coach, quiet):
    _went(supervisor, quiet)
    queue = queue_for(supervisor, coach)
    assert quiet not in queue.no_contact
    assert queue.higher_care == [quiet]
    line = queue.higher_care[0]
    today = timezone.localdate()
    assert (line.went_on, line.expected_back) == (today - 20 * DAY, today + 10 * DAY)
    page = client_for(supervisor).get(reverse("supervision:queue", args=[coach.pk])).content.decode()
    assert "In a higher level of care" in page
    assert "Residential treatment since" in page
    assert "expected back" in page


def test_after_her_return_no_contact_counts_from_the_day_she_came_back(supervisor, coach, quiet):
    _went(supervisor, quiet)
    higher_care_end(actor=Actor(supervisor, None), patient=quiet, ended_on=timezone.localdate() - 3 * DAY)
    assert quiet not in queue_for(supervisor, coach).no_contact  # back 3 days ago: not yet 14 days
    with time_machine.travel(timezone.now() + 12 * DAY, tick=False):
        assert quiet in queue_for(supervisor, coach).no_contact  # 15 days since she came back


def test_the_queue_with_women_in_higher_care_runs_the_same_queries(
    client_for, supervisor, coach, supervised, django_assert_max_num_queries
):
    for _ in range(12):
        patient = PatientFactory(program=coach.program, clinical_provider=supervisor)
        on_caseload_of(patient, coach)
        _went(supervisor, patient, back_in=None)
    client = client_for(supervisor)
    with django_assert_max_num_queries(28):
        client.get(reverse("supervision:queue", args=[coach.pk]))
