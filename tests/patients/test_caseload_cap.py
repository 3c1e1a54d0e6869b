"""A program's caseload cap: an assignment that passes it needs the supervisor's confirmation, which is kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import CoachAssignment, Patient
from patients.services import assignment_start
from recovery_program.audit import Actor
from staff.models import Program
from tests.factories import PatientFactory, on_caseload_of
from tests.patients.test_views import _enroll_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_caseload(program, coach, supervisor):
    """The cap is 2, and the coach carries 2 women."""
    Program.objects.filter(pk=program.pk).update(caseload_cap=2)
    coach.program.refresh_from_db()
    for _ in range(2):
        on_caseload_of(PatientFactory(program=program, clinical_provider=supervisor), coach)


@pytest.fixture
def newcomer(program, supervisor):
    return PatientFactory(program=program, legal_name="Nova Reyes", clinical_provider=supervisor)


def test_the_service_refuses_an_assignment_past_the_cap_unless_confirmed(supervisor, coach, full_caseload, newcomer):
    with pytest.raises(ValidationError) as refused:
        assignment_start(actor=Actor(supervisor, None), patient=newcomer, coach=coach, started_on=timezone.localdate())
    assert refused.value.messages == ["This would give Mara 3 women; the program's cap is 2."]
    assert not CoachAssignment.objects.filter(patient=newcomer).exists()

    assignment = assignment_start(
        actor=Actor(supervisor, None),
        patient=newcomer,
        coach=coach,
        started_on=timezone.localdate(),
        over_cap_confirmed=True,
    )
    assert assignment.over_cap


def test_within_the_cap_no_confirmation_is_asked(program, supervisor, coach, newcomer):
    assignment = assignment_start(
        actor=Actor(supervisor, None), patient=newcomer, coach=coach, started_on=timezone.localdate()
    )
    assert not assignment.over_cap


def test_the_supervisor_is_warned_and_confirms_on_the_assign_page(
    client_for, supervisor, coach, full_caseload, newcomer
):
    client = client_for(supervisor)
    url = reverse("patients:assign", args=[newcomer.pk])
    data = {"coach": coach.pk, "started_on": timezone.localdate().isoformat()}
    response = client.post(url, data)
    page = response.content.decode()
    assert "This would give Mara 3 women; the program&#x27;s cap is 2." in page
    assert 'type="checkbox" name="over_cap_confirmed"' in page
    assert not CoachAssignment.objects.filter(patient=newcomer).exists()

    response = client.post(url, {**data, "over_cap_confirmed": "on"})
    assert response.status_code == 302
    assert CoachAssignment.objects.get(patient=newcomer, ended_on__isnull=True).over_cap


def test_enrolling_with_a_coach_past_the_cap_asks_too(client_for, supervisor, coach, full_caseload):
    client = client_for(supervisor)
    data = _enroll_data(supervisor, coach)
    data.pop("once_key")
    response = client.post(reverse("patients:enroll"), data)
    assert "the program&#x27;s cap is 2" in response.content.decode()
    assert not Patient.objects.filter(legal_name="Genevieve Hart").exists()
    response = client.post(reverse("patients:enroll"), {**data, "over_cap_confirmed": "on"})
    assert response.status_code == 302
    assert Patient.objects.get(legal_name="Genevieve Hart").assignments.get().over_cap


def test_the_database_keeps_the_cap_positive(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(caseload_cap=0)
