"""A coach out of compliance with her required training is given no caseload (a new assignment, an enrollment with
her, a transfer to her) unless a supervisor records an override with a reason: who, when and why stay on it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import CoachAssignment
from patients.services import OUT_OF_COMPLIANCE, assignment_start, assignment_transfer
from recovery_program.audit import Actor
from staff.models import TrainingKind, TrainingRecord, TrainingRequirement
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

WHY = "Her academy class is booked for next week; she shadows Mara until then."


@pytest.fixture
def academy(program, coach, supervisor):
    """The program requires coaches to have the Recovery Coach Academy; Mara has it, Nell (other_coach) has not."""
    kind = TrainingKind.objects.create(program=program, name="Recovery Coach Academy")
    TrainingRequirement.objects.create(program=program, role="coach", kind=kind)
    TrainingRecord.objects.create(
        user=coach, kind=kind, completed_on=timezone.localdate() - datetime.timedelta(days=30), recorded_by=supervisor
    )
    return kind


@pytest.fixture
def waiting(supervisor):
    return PatientFactory(program=supervisor.program, legal_name="Opal Reyes", clinical_provider=supervisor)


def _start(supervisor, patient, coach, **kwargs):
    return assignment_start(
        actor=Actor(supervisor, None), patient=patient, coach=coach, started_on=timezone.localdate(), **kwargs
    )


def test_a_coach_out_of_compliance_is_refused_a_caseload_without_an_override(academy, supervisor, other_coach, waiting):
    with pytest.raises(ValidationError) as refused:
        _start(supervisor, waiting, other_coach)
    assert refused.value.error_list[0].code == OUT_OF_COMPLIANCE
    assert "Recovery Coach Academy: not on record" in refused.value.messages[0]
    assert not CoachAssignment.objects.filter(patient=waiting).exists()


def test_the_override_is_kept_with_who_when_and_why(academy, supervisor, other_coach, waiting):
    assignment = _start(supervisor, waiting, other_coach, compliance_override_reason=f"  {WHY} ")
    assert assignment.compliance_override_reason == WHY
    assert assignment.compliance_override_by == supervisor
    assert assignment.compliance_override_at == timezone.now()


def test_a_compliant_coach_needs_no_override_and_none_is_recorded(academy, supervisor, coach, waiting):
    assignment = _start(supervisor, waiting, coach, compliance_override_reason=WHY)
    assert assignment.compliance_override_reason == ""
    assert assignment.compliance_override_by is None


def test_a_transfer_to_a_coach_out_of_compliance_needs_the_override_too(academy, supervisor, other_coach, patient):
    with pytest.raises(ValidationError):
        assignment_transfer(actor=Actor(supervisor, None), patient=patient, coach=other_coach, handoff_note="Notes")
    assert patient.assignments.get(ended_on__isnull=True).coach != other_coach
    assignment = assignment_transfer(
        actor=Actor(supervisor, None),
        patient=patient,
        coach=other_coach,
        handoff_note="Notes",
        compliance_override_reason=WHY,
    )
    assert assignment.compliance_override_by == supervisor


def test_the_database_refuses_an_override_without_who_and_when(coach, patient):
    assignment = CoachAssignment.objects.get(patient=patient, coach=coach)
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachAssignment.objects.filter(pk=assignment.pk).update(compliance_override_reason=WHY)


def test_the_assign_page_asks_for_the_reason_then_shows_the_override_to_supervisors(
    client_for, academy, supervisor, coach, other_coach, patient
):
    client = client_for(supervisor)
    url = reverse("patients:assign", args=[patient.pk])
    data = {"coach": other_coach.pk, "started_on": timezone.localdate().isoformat()}
    page = client.post(url, data).content.decode()
    assert "out of compliance" in page
    assert 'name="compliance_override_reason"' in page
    assert 'type="text"' in page
    assert patient.assignments.get(ended_on__isnull=True).coach == coach  # nothing done
    response = client.post(url, data | {"compliance_override_reason": WHY})
    assert response.status_code == 302
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "despite training out of compliance" in detail
    assert WHY in detail
    # Her coach reads her course, not the supervisor's note about the coach's training.
    assert WHY not in client_for(other_coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
