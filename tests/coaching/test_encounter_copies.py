"""Each woman's row of an encounter carries the encounter's time and whether it reached her (the reports read an
index on them), and the database keeps that copy the encounter's, whoever writes."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from coaching.models import EncounterKind, EncounterPatient
from coaching.permissions import encounter_patients_visible_to
from coaching.services import encounter_log, encounter_mark_in_error, encounter_update
from recovery_program.audit import Actor

pytestmark = pytest.mark.django_db


def _log(coach, patients, kind=EncounterKind.PHONE, hours_ago=2):
    return encounter_log(
        actor=Actor(coach, None),
        fields={
            "kind": kind,
            "occurred_at": timezone.now() - datetime.timedelta(hours=hours_ago),
            "duration_minutes": 20,
            "summary": "Called her about the clinic.",
        },
        patients=patients,
        resources=[],
    )


def _rows(encounter) -> set[tuple]:
    return set(EncounterPatient.objects.filter(encounter=encounter).values_list("patient_id", "occurred_at", "reached"))


def test_each_womans_row_has_the_encounters_time_and_that_it_reached_her(coach, patient):
    encounter = _log(coach, [patient])
    assert _rows(encounter) == {(patient.pk, encounter.occurred_at, True)}


def test_an_attempt_with_no_contact_did_not_reach_her(coach, patient):
    encounter = _log(coach, [patient], kind=EncounterKind.OUTREACH)
    assert _rows(encounter) == {(patient.pk, encounter.occurred_at, False)}


def test_a_corrected_time_and_kind_follow_onto_her_row(coach, patient):
    encounter = _log(coach, [patient])
    moved = encounter.occurred_at - datetime.timedelta(hours=5)
    encounter_update(
        actor=Actor(coach, None),
        encounter=encounter,
        fields={"occurred_at": moved, "kind": EncounterKind.OUTREACH},
        patients=[patient],
        resources=[],
    )
    assert _rows(encounter) == {(patient.pk, moved, False)}


def test_an_encounter_entered_in_error_no_longer_reached_her(coach, patient):
    encounter = _log(coach, [patient])
    encounter_mark_in_error(actor=Actor(coach, None), encounter=encounter, reason="Wrong woman.")
    assert _rows(encounter) == {(patient.pk, encounter.occurred_at, False)}


def test_the_copy_cannot_be_made_to_disagree_with_the_encounter(coach, patient):
    encounter = _log(coach, [patient], kind=EncounterKind.OUTREACH)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE coaching_encounterpatient SET occurred_at = now() - interval '400 days', reached = true "
            "WHERE encounter_id = %s",
            [encounter.pk],
        )
    assert _rows(encounter) == {(patient.pk, encounter.occurred_at, False)}


def test_each_role_sees_the_rows_of_the_encounters_it_may_see(
    coach, other_coach, patient, other_patient, supervisor, outside_supervisor, admin
):
    hers = _log(coach, [patient])
    theirs = _log(other_coach, [other_patient])

    def seen(user):
        return set(encounter_patients_visible_to(user).values_list("encounter_id", flat=True))

    assert seen(coach) == {hers.pk}
    assert seen(other_coach) == {theirs.pk}
    assert seen(supervisor) == {hers.pk, theirs.pk}
    assert seen(outside_supervisor) == set()
    assert seen(admin) == set()
