"""Programs never mix, in the database too: a row that names a patient, a staff member or a record of another
program than its own is refused, however it is written (patients.models.SameProgram)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from coaching.models import Concern, Encounter, EncounterPatient
from patients.models import SAME_PROGRAM, CoachAssignment, Patient
from referrals.models import CPSReport, Disclosure, PatientCommunication, Referral
from staff.roles import Role
from supervision.models import AgendaItem, CaseReview, OnCallShift, SupervisionSession
from tests.factories import UserFactory, log_encounter, share_concern

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 2, 15, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def outside_coach(other_program):
    return UserFactory(username="coach_x", program=other_program, role=Role.COACH)


def _encounter(program, coach):
    return Encounter.objects.create(
        program=program, coach=coach, kind="phone", occurred_at=NOW, duration_minutes=10, summary="Called her."
    )


def _concern(program, patient, coach, encounter=None):
    return Concern.objects.create(
        program=program, patient=patient, coach=coach, encounter=encounter, category="other", description="A worry."
    )


def _referral(program, patient, made_by):
    return Referral.objects.create(
        program=program,
        patient=patient,
        care_type="iop",
        receiving_provider="Granite House",
        decided_by=patient.clinical_provider,
        made_by=made_by,
        referred_on=TODAY,
    )


def _session(coach, supervisor):
    return SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=TODAY)


# Each: a write whose row names two programs. `c` is the cast (the named fixtures of tests/conftest.py).
MIXED_WRITES = {
    "a patient whose clinical provider is of another program": lambda c: Patient.objects.create(
        program=c.program,
        legal_name="Ada Moss",
        date_of_birth=datetime.date(1998, 1, 1),
        enrollment_date=TODAY,
        clinical_provider=c.outside_supervisor,
    ),
    "a coach of another program on her caseload": lambda c: CoachAssignment.objects.create(
        patient=c.patient, coach=c.outside_coach, started_on=TODAY, assigned_by=c.supervisor
    ),
    "an encounter logged by a coach of another program": lambda c: _encounter(c.program, c.outside_coach),
    "an encounter with a patient of another program": lambda c: EncounterPatient.objects.create(
        encounter=log_encounter(c.coach, [c.patient]), patient=c.outside_patient
    ),
    "a concern about a patient of another program": lambda c: _concern(c.program, c.outside_patient, c.coach),
    "a concern filed under another program": lambda c: _concern(c.other_program, c.patient, c.coach),
    "a concern shared by a coach of another program": lambda c: _concern(c.program, c.patient, c.outside_coach),
    "a concern from an encounter of another program": lambda c: _concern(
        c.program, c.patient, c.coach, _encounter(c.other_program, c.outside_coach)
    ),
    "a referral filed under another program": lambda c: _referral(c.other_program, c.patient, c.supervisor),
    "a referral made by a supervisor of another program": lambda c: _referral(
        c.program, c.patient, c.outside_supervisor
    ),
    "a CPS report filed under another program": lambda c: CPSReport.objects.create(
        program=c.other_program,
        patient=c.patient,
        made_at=NOW,
        agency="DCYF",
        made_by=c.supervisor,
        what_was_reported="Infant alone.",
    ),
    "what she was told, filed under another program": lambda c: PatientCommunication.objects.create(
        program=c.other_program,
        patient=c.patient,
        told_by=c.supervisor,
        told_at=NOW,
        method="phone",
        what_was_said="We found a bed.",
    ),
    "a disclosure filed under another program": lambda c: Disclosure.objects.create(
        program=c.other_program,
        patient=c.patient,
        disclosed_on=TODAY,
        recipient="Harbor Haven",
        information="Name",
        purpose="Shelter",
        legal_basis="emergency",
        emergency_nature="Danger at home",
        disclosed_by=c.supervisor,
    ),
    "an agenda item about a patient of another program": lambda c: AgendaItem.objects.create(
        coach=c.coach, patient=c.outside_patient, text="A question."
    ),
    "a case review of a patient of another program": lambda c: CaseReview.objects.create(
        session=_session(c.coach, c.supervisor), patient=c.outside_patient
    ),
    "an on-call shift with a supervisor of another program": lambda c: OnCallShift.objects.create(
        program=c.program,
        starts_at=NOW,
        ends_at=NOW + datetime.timedelta(hours=12),
        primary=c.outside_supervisor,
        backup=c.supervisor,
        created_by=c.supervisor,
    ),
}


@pytest.fixture
def cast(program, other_program, coach, supervisor, patient, outside_supervisor, outside_patient, outside_coach):
    return SimpleNamespace(
        program=program,
        other_program=other_program,
        coach=coach,
        supervisor=supervisor,
        patient=patient,
        outside_supervisor=outside_supervisor,
        outside_patient=outside_patient,
        outside_coach=outside_coach,
    )


@pytest.mark.parametrize("write", MIXED_WRITES.values(), ids=MIXED_WRITES.keys())
def test_the_database_refuses_a_row_that_names_two_programs(cast, write):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write(cast)
    assert refused.value.__cause__.diag.constraint_name == SAME_PROGRAM


def test_raw_sql_cannot_move_a_concern_to_another_programs_patient(coach, patient, outside_patient):
    concern = share_concern(coach, patient)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE coaching_concern SET patient_id = %s WHERE id = %s", [outside_patient.pk, concern.pk])


def test_rows_of_one_program_are_written_as_before(coach, supervisor, patient):
    encounter = log_encounter(coach, [patient])
    concern = _concern(coach.program, patient, coach, encounter)
    AgendaItem.objects.create(coach=coach, patient=patient, text="A question.")
    CaseReview.objects.create(session=_session(coach, supervisor), patient=patient)
    assert concern.pk
    assert encounter.pk
