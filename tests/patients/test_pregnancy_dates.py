"""Her due date and delivery date have one source: her pregnancies. Enrolling makes them through `pregnancy_save`;
her record's edit form and `patient_update` cannot change them, so `Patient.due_date`/`delivery_date` (read by her
status, the weekly queue, the downloads) stay her latest pregnancy's."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients import services
from patients.models import Patient, Pregnancy
from recovery_program.audit import Actor

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2027, 3, 2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def _enroll(supervisor, **dates) -> Patient:
    fields = {
        "legal_name": "Delphine Marsh",
        "date_of_birth": datetime.date(1996, 4, 2),
        "enrollment_date": TODAY,
        "clinical_provider": supervisor,
        **dates,
    }
    patient, _ = services.patient_enroll(actor=Actor(supervisor, None), fields=fields, coach=None)
    return patient


def test_enrolling_with_a_due_date_records_her_pregnancy(supervisor):
    patient = _enroll(supervisor, due_date=_days(70))
    assert list(Pregnancy.objects.filter(patient=patient).values_list("due_date", "delivery_date")) == [
        (_days(70), None)
    ]
    patient.refresh_from_db()
    assert (patient.due_date, patient.delivery_date) == (_days(70), None)


def test_enrolling_with_a_delivery_date_records_the_birth(supervisor):
    patient = _enroll(supervisor, delivery_date=_days(-20))
    assert list(Pregnancy.objects.filter(patient=patient).values_list("due_date", "delivery_date")) == [
        (_days(-20), _days(-20))
    ]
    assert patient.pregnancy_status(TODAY) == "postpartum"


def test_an_earlier_birth_and_a_new_due_date_are_two_pregnancies(supervisor):
    patient = _enroll(supervisor, due_date=_days(100), delivery_date=_days(-200))
    pregnancies = Pregnancy.objects.filter(patient=patient).order_by("due_date")
    assert [(p.due_date, p.delivery_date) for p in pregnancies] == [(_days(-200), _days(-200)), (_days(100), None)]
    assert patient.pregnancy_status(TODAY) == "pregnant"


def test_enrolling_without_dates_records_no_pregnancy(supervisor):
    patient = _enroll(supervisor)
    assert not Pregnancy.objects.filter(patient=patient).exists()


def test_a_bad_delivery_date_at_enrollment_saves_nothing(supervisor):
    with pytest.raises(ValidationError):
        _enroll(supervisor, due_date=_days(60), delivery_date=_days(5))
    assert not Patient.objects.filter(legal_name="Delphine Marsh").exists()


def test_her_record_update_refuses_her_pregnancy_dates(supervisor):
    patient = _enroll(supervisor, due_date=_days(70))
    for name in ("due_date", "delivery_date"):
        with pytest.raises(ValidationError, match="on her pregnancy"):
            services.patient_update(actor=Actor(supervisor, None), patient=patient, fields={name: _days(-3)})
    patient.refresh_from_db()
    assert (patient.due_date, patient.delivery_date) == (_days(70), None)


def test_the_edit_form_cannot_move_her_dates_away_from_her_pregnancy(client_for, supervisor):
    patient = _enroll(supervisor, due_date=_days(70))
    client = client_for(supervisor)
    url = reverse("patients:edit", args=[patient.pk])
    page = client.get(url)
    assert 'name="due_date"' not in page.content.decode()
    assert "change them under Pregnancy" in page.content.decode()
    form = page.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "due_date": _days(10).isoformat(),
            "delivery_date": _days(-1).isoformat(),
            "date_of_birth": "1996-04-02",
            "enrollment_date": TODAY.isoformat(),
            "clinical_provider": supervisor.pk,
            "phone": "603-555-0123",
        }
    )
    client.post(url, data)
    patient.refresh_from_db()
    assert patient.phone == "603-555-0123"
    assert (patient.due_date, patient.delivery_date) == (_days(70), None)


# The database holds it too, whatever writes.


def _dates(patient) -> tuple:
    return Patient.objects.filter(pk=patient.pk).values_list("due_date", "delivery_date", "version").get()


def test_a_pregnancy_written_without_the_service_moves_her_dates(supervisor):
    patient = _enroll(supervisor, due_date=_days(70))
    pregnancy = Pregnancy.objects.get(patient=patient)

    Pregnancy.objects.filter(pk=pregnancy.pk).update(delivery_date=_days(-1), gestational_weeks=38)

    assert _dates(patient)[:2] == (_days(70), _days(-1))
    later = Pregnancy.objects.create(program=patient.program, patient=patient, due_date=_days(300))
    assert _dates(patient)[:2] == (_days(300), None)
    Pregnancy.objects.filter(pk=later.pk).update(due_date=_days(280))
    assert _dates(patient)[:2] == (_days(280), None)


def test_her_dates_cannot_be_written_away_from_her_pregnancy(supervisor):
    patient = _enroll(supervisor, due_date=_days(70))

    Patient.objects.filter(pk=patient.pk).update(due_date=_days(5), delivery_date=_days(-5))

    assert _dates(patient)[:2] == (_days(70), None)


def test_a_woman_with_no_pregnancy_keeps_what_was_entered(supervisor):
    patient = _enroll(supervisor)

    Patient.objects.filter(pk=patient.pk).update(due_date=_days(5))

    assert _dates(patient)[:2] == (_days(5), None)


def test_a_pregnancy_saved_without_a_new_date_leaves_her_record_as_it_was(supervisor):
    """Her record's version moves only when its dates do, so nobody editing her record meets a false conflict."""
    patient = _enroll(supervisor, due_date=_days(70))
    before = _dates(patient)

    Pregnancy.objects.filter(patient=patient).update(prenatal_care=True, prenatal_care_where="Concord clinic")

    assert _dates(patient) == before
