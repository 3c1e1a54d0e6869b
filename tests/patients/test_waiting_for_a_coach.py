"""Who waits for a coach: enrolled with "No coach yet", or her coach's assignment ended; never one who has a coach."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.permissions import patients_without_coach_count
from patients.services import assignment_end
from recovery_program.audit import Actor
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 12, 16, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def never_assigned(program, supervisor):
    return PatientFactory(program=program, legal_name="Harriet Lowe", clinical_provider=supervisor)


@pytest.fixture
def coach_gone(supervisor, other_patient):
    assignment_end(
        actor=Actor(supervisor, None), patient=other_patient, ended_on=datetime.date(2026, 5, 1), reason="Moved"
    )
    return other_patient


def _waiting_list(client):
    return list(client.get(reverse("patients:list"), {"needs_coach": "on"}).context["page"])


def test_a_woman_enrolled_with_no_coach_yet_waits_for_one(client_for, supervisor, patient, never_assigned):
    assert patients_without_coach_count(supervisor) == 1
    assert _waiting_list(client_for(supervisor)) == [never_assigned]


def test_a_woman_whose_coach_assignment_ended_waits_for_one(client_for, supervisor, patient, coach_gone):
    assert patients_without_coach_count(supervisor) == 1
    assert _waiting_list(client_for(supervisor)) == [coach_gone]


def test_a_woman_with_a_coach_does_not_wait(client_for, supervisor, patient, other_patient):
    assert patients_without_coach_count(supervisor) == 0
    assert _waiting_list(client_for(supervisor)) == []


def test_both_kinds_are_counted_on_the_supervisors_home_page(client_for, supervisor, never_assigned, coach_gone):
    home = client_for(supervisor).get(reverse("home")).content.decode()
    assert "2 patients have no coach" in home
