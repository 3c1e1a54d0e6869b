"""Clinical records keep their history, are never hard-deleted, and the access log cannot be altered."""

from __future__ import annotations

import datetime

import pghistory.models
import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from patients import services
from patients.models import CoachAssignment, Patient, PregnancyStatus
from recovery_program.audit import AccessAction, Actor, log_access
from recovery_program.models import AccessLog
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_access_log_refuses_update_even_as_raw_sql(coach, patient):
    entry = log_access(Actor(coach, "10.0.0.1"), AccessAction.VIEW, patient=patient)
    with pytest.raises(ProgrammingError, match=r"Cannot (update|delete)"):
        _raw("UPDATE recovery_program_accesslog SET user_id = user_id WHERE id = %s", [entry.pk])


def test_the_access_log_refuses_delete_even_as_raw_sql(coach, patient):
    entry = log_access(Actor(coach, "10.0.0.1"), AccessAction.VIEW, patient=patient)
    with pytest.raises(ProgrammingError, match=r"Cannot (update|delete)"):
        _raw("DELETE FROM recovery_program_accesslog WHERE id = %s", [entry.pk])
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_a_patient_cannot_be_hard_deleted(patient):
    with pytest.raises(ProgrammingError, match=r"Cannot (update|delete)"):
        _raw("DELETE FROM patients_patient WHERE id = %s", [patient.pk])
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_every_change_keeps_the_previous_values(supervisor, patient):
    services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={"phone": "603-555-0177"})
    services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={"phone": "603-555-0188"})
    phones = list(
        pghistory.models.Events.objects.tracks(patient).order_by("pgh_created_at").values_list("pgh_data", flat=True)
    )
    assert [data["phone"] for data in phones] == ["603-555-0199", "603-555-0177", "603-555-0188"]


def test_bulk_updates_are_kept_in_the_history_too(patient):
    Patient.objects.filter(pk=patient.pk).update(preferred_language="Portuguese")
    events = pghistory.models.Events.objects.tracks(patient)
    assert events.filter(pgh_data__preferred_language="Portuguese").exists()


def test_only_one_open_assignment_per_patient_in_the_database(coach, other_coach, patient, supervisor):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachAssignment.objects.create(
            patient=patient, coach=other_coach, started_on=timezone.localdate(), assigned_by=supervisor
        )


def test_reassigning_to_a_start_before_the_current_one_is_refused(coach, other_coach, supervisor, patient):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cannot start before"):
        services.assignment_start(
            actor=Actor(supervisor, None),
            patient=patient,
            coach=other_coach,
            started_on=patient.enrollment_date - datetime.timedelta(days=1),
        )
    assert patient.assignments.get().coach == coach


@pytest.mark.parametrize(
    ("due_in", "delivered_ago", "expected"),
    [
        (30, None, PregnancyStatus.PREGNANT),
        (None, 20, PregnancyStatus.POSTPARTUM),
        (None, 400, PregnancyStatus.PARENTING),
        (None, None, PregnancyStatus.PARENTING),
        # Pregnant again after an earlier delivery.
        (200, 300, PregnancyStatus.PREGNANT),
        # Delivered: the due date of that pregnancy no longer makes her pregnant.
        (-5, 3, PregnancyStatus.POSTPARTUM),
    ],
)
def test_pregnancy_status_derives_from_the_dates(program, due_in, delivered_ago, expected):
    today = timezone.localdate()
    patient = PatientFactory.build(
        program=program,
        due_date=today + datetime.timedelta(days=due_in) if due_in is not None else None,
        delivery_date=today - datetime.timedelta(days=delivered_ago) if delivered_ago is not None else None,
    )
    assert patient.pregnancy_status(today) == expected


def test_enrolling_twice_with_the_same_form_creates_one_patient(supervisor, coach):
    import uuid

    token = uuid.uuid4()
    fields = {
        "legal_name": "Delphine Marsh",
        "date_of_birth": datetime.date(1996, 4, 2),
        "enrollment_date": timezone.localdate(),
        "clinical_provider": supervisor,
    }
    first, created = services.patient_enroll(actor=Actor(supervisor, None), fields=fields, coach=coach, token=token)
    second, created_again = services.patient_enroll(
        actor=Actor(supervisor, None), fields=fields, coach=coach, token=token
    )
    assert (created, created_again) == (True, False)
    assert first == second
    assert Patient.objects.filter(legal_name="Delphine Marsh").count() == 1


def test_on_caseload_of_gives_the_coach_her_patient(program, coach, supervisor):
    patient = PatientFactory(program=program, clinical_provider=supervisor)
    on_caseload_of(patient, coach)
    assert coach.has_perm("patients.view_patient", patient)
