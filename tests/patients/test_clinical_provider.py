"""A woman's clinical provider: an active supervisor of her program, or nobody, named by supervisors on her record
with its history kept; the service and the database refuse anyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import Patient
from recovery_program.audit import Actor
from staff.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician(program):
    """The program's group therapist: the supervisor role, no coaches, no shifts."""
    return UserFactory(username="clin_a", first_name="Noor", last_name="Ashdown", program=program, role=Role.SUPERVISOR)


def _edit_data(patient, **changes):
    fields = {
        "legal_name": patient.legal_name,
        "preferred_name": patient.preferred_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "phone": patient.phone,
        "safe_contact_notes": patient.safe_contact_notes,
        "preferred_language": patient.preferred_language,
        "due_date": "",
        "delivery_date": "",
        "enrollment_date": patient.enrollment_date.isoformat(),
        "clinical_provider": patient.clinical_provider_id or "",
        "version": patient.version,
    }
    return fields | changes


def test_a_supervisor_names_a_clinician_and_the_earlier_provider_stays_in_her_history(
    client_for, supervisor, clinician, patient
):
    client = client_for(supervisor)
    response = client.post(
        reverse("patients:edit", args=[patient.pk]), _edit_data(patient, clinical_provider=clinician.pk)
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.clinical_provider == clinician
    assert list(patient.events.order_by("pgh_id").values_list("clinical_provider_id", flat=True)) == [
        supervisor.pk,
        clinician.pk,
    ]
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Noor Ashdown" in page


def test_she_may_have_no_clinical_provider(client_for, supervisor, patient):
    client = client_for(supervisor)
    response = client.post(reverse("patients:edit", args=[patient.pk]), _edit_data(patient, clinical_provider=""))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.clinical_provider is None
    assert "None named" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_the_enroll_form_names_nobody_unless_she_chooses(client_for, supervisor):
    form = client_for(supervisor).get(reverse("patients:enroll")).context["form"]
    assert form["clinical_provider"].value() is None
    assert not form.fields["clinical_provider"].required


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_nobody_but_her_programs_supervisors_names_her_provider(client_for, request, patient, clinician, who):
    response = client_for(request.getfixturevalue(who)).post(
        reverse("patients:edit", args=[patient.pk]), _edit_data(patient, clinical_provider=clinician.pk)
    )
    assert response.status_code == 404  # out of reach, or a coach who may not change her record
    patient.refresh_from_db()
    assert patient.clinical_provider != clinician


def _someone(kind, program, other_program):
    if kind == "coach":
        return UserFactory(program=program, role=Role.COACH)
    if kind == "admin":
        return UserFactory(program=program, role=Role.ADMIN)
    if kind == "deactivated supervisor":
        return UserFactory(program=program, role=Role.SUPERVISOR, is_active=False)
    return UserFactory(program=other_program, role=Role.SUPERVISOR)


NOT_A_PROVIDER = ["coach", "admin", "deactivated supervisor", "supervisor of another program"]


@pytest.mark.parametrize("kind", NOT_A_PROVIDER)
def test_the_service_refuses_anyone_but_an_active_supervisor_of_her_program(
    supervisor, patient, program, other_program, kind
):
    wrong = _someone(kind, program, other_program)
    with pytest.raises(ValidationError) as refused:
        services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={"clinical_provider": wrong})
    assert "clinical_provider" in refused.value.message_dict
    patient.refresh_from_db()
    assert patient.clinical_provider == supervisor


@pytest.mark.parametrize("kind", NOT_A_PROVIDER)
def test_enrolling_refuses_anyone_but_an_active_supervisor_of_her_program(supervisor, program, other_program, kind):
    fields = {
        "legal_name": "Delphine Marsh",
        "date_of_birth": "1996-04-02",
        "enrollment_date": timezone.localdate(),
        "clinical_provider": _someone(kind, program, other_program),
    }
    with pytest.raises(ValidationError):
        services.patient_enroll(actor=Actor(supervisor, None), fields=fields, coach=None)
    assert not Patient.objects.filter(legal_name="Delphine Marsh").exists()


@pytest.mark.parametrize("kind", ["coach", "admin", "deactivated supervisor"])
def test_the_database_refuses_anyone_but_an_active_supervisor(patient, program, other_program, kind):
    wrong = _someone(kind, program, other_program)
    with pytest.raises(IntegrityError, match="clinical provider"), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(clinical_provider=wrong)


def test_a_provider_deactivated_later_does_not_stop_other_changes_to_her_record(supervisor, clinician, patient):
    services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={"clinical_provider": clinician})
    type(clinician).objects.filter(pk=clinician.pk).update(is_active=False)
    services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={"phone": "603-555-0100"})
    patient.refresh_from_db()
    assert (patient.phone, patient.clinical_provider) == ("603-555-0100", clinician)


def test_the_edit_form_says_what_to_choose_next_to_the_field(client_for, supervisor, outside_supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:edit", args=[patient.pk]), _edit_data(patient, clinical_provider=outside_supervisor.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["clinical_provider"] == ["Choose one of your program's supervisors."]
