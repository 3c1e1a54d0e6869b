"""What an encounter must be, held by the service whoever calls it (the form is only one caller), and by the
database against the row's own creation time."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from coaching import services
from coaching.models import Encounter
from patients import services as patient_services
from recovery_program.audit import Actor
from tests.factories import PatientFactory, log_encounter, on_caseload_of

pytestmark = pytest.mark.django_db


def _refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_an_encounter_in_the_future_is_refused(coach, patient):
    later = timezone.now() + datetime.timedelta(hours=1)
    errors = _refused(lambda: log_encounter(coach, [patient], occurred_at=later))
    assert errors["date"] == ["An encounter cannot be in the future. Check the date and time."]
    assert not Encounter.objects.exists()


def test_a_few_minutes_ahead_is_a_phone_clock_and_is_saved(coach, patient):
    log_encounter(coach, [patient], occurred_at=timezone.now() + datetime.timedelta(minutes=5))
    assert Encounter.objects.count() == 1


def test_more_than_a_year_ago_is_refused(coach, patient):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    errors = _refused(lambda: log_encounter(coach, [patient], occurred_at=long_ago))
    assert errors["date"] == ["This is more than a year ago. Please check the date."]
    assert not Encounter.objects.exists()


def test_only_women_of_her_caseload(coach, patient, other_patient):
    errors = _refused(lambda: log_encounter(coach, [patient, other_patient]))
    assert errors["patients"] == ["Only women of your caseload can be on an encounter you log."]
    assert not Encounter.objects.exists()


def test_at_least_one_woman(coach):
    errors = _refused(lambda: log_encounter(coach, []))
    assert errors["patients"] == ["Pick at least one person who was there."]


def test_a_change_cannot_move_it_into_the_future(coach, patient):
    encounter = log_encounter(coach, [patient])
    later = timezone.now() + datetime.timedelta(hours=3)
    errors = _refused(
        lambda: services.encounter_update(
            actor=Actor(coach, None),
            encounter=encounter,
            fields={"occurred_at": later},
            patients=[patient],
            resources=[],
        )
    )
    assert "date" in errors
    encounter.refresh_from_db()
    assert encounter.occurred_at < timezone.now()


def test_a_change_may_add_only_women_of_her_caseload_but_keeps_one_who_left(coach, supervisor, patient, other_patient):
    second = PatientFactory(program=coach.program)
    on_caseload_of(second, coach)
    encounter = log_encounter(coach, [patient, second])
    patient_services.assignment_end(
        actor=Actor(supervisor, None), patient=second, ended_on=timezone.localdate(), reason="Moved to another coach"
    )
    actor = Actor(coach, None)
    services.encounter_update(actor=actor, encounter=encounter, fields={}, patients=[patient, second], resources=[])
    assert set(encounter.patients.all()) == {patient, second}

    errors = _refused(
        lambda: services.encounter_update(
            actor=actor, encounter=encounter, fields={}, patients=[patient, other_patient], resources=[]
        )
    )
    assert errors["patients"] == ["Only women of your caseload can be on an encounter you log."]
    assert set(encounter.patients.all()) == {patient, second}


@pytest.mark.parametrize(
    "occurred",
    [datetime.timedelta(hours=1), -datetime.timedelta(days=400)],
    ids=["in the future", "more than a year before"],
)
def test_the_database_holds_it_against_when_it_was_logged(coach, occurred):
    with pytest.raises(IntegrityError, match="encounter_happened_before_logging"), transaction.atomic():
        Encounter.objects.create(
            program=coach.program,
            coach=coach,
            kind="phone",
            occurred_at=timezone.now() + occurred,
            duration_minutes=30,
            summary="Called her.",
        )


def test_naloxone_kits_and_test_strips_are_kept_within_sensible_numbers(coach, patient):
    encounter = log_encounter(coach, [patient], naloxone_kits=2, test_strips=10)
    assert (encounter.naloxone_kits, encounter.test_strips) == (2, 10)
    for field, value in (("naloxone_kits", 21), ("test_strips", 201), ("naloxone_kits", -1)):
        with transaction.atomic(), pytest.raises(IntegrityError):
            Encounter.objects.filter(pk=encounter.pk).update(**{field: value})
