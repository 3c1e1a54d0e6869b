"""Every clinical table carries `program_id`, so that distributing them by program (Citus, docs/scaling.md) is a
migration, not a redesign: each row can live on the node of its program, beside its patient's other rows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from coaching.models import ConcernNote, EncounterNote, EncounterPatient, EncounterResource, Resource
from coaching.services import concern_add_note, encounter_log
from patients.models import SAME_PROGRAM, CoachAssignment, PatientUserObjectPermission
from recovery_program.audit import Actor
from referrals.models import ReferralConcern
from tests.factories import record_referral, share_concern

pytestmark = pytest.mark.django_db

# The apps that hold clinical records. An app added with clinical tables joins this list.
CLINICAL_APPS = ["patients", "coaching", "supervision", "referrals"]

# Tables known to lack the column, each with its reason. Closing a gap means deleting its line here.
# Tables that may lack program_id for now, each with its reason. None today: every clinical table carries it.
ALLOWLIST: dict[str, str] = {}


def clinical_tables() -> list[str]:
    tables = set()
    for label in CLINICAL_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return sorted(tables)


def columns_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, table)}


def test_every_clinical_table_has_a_program_column():
    missing = [table for table in clinical_tables() if table not in ALLOWLIST and "program_id" not in columns_of(table)]
    assert not missing, f"Clinical tables without program_id (add it, or allowlist it with a reason): {missing}"


def test_the_allowlist_names_only_tables_still_missing_it():
    # A gap closed leaves no stale line behind.
    tables = clinical_tables()
    stale = [table for table in ALLOWLIST if table in tables and "program_id" in columns_of(table)]
    assert not stale, f"These tables have program_id now: remove them from the allowlist: {stale}"


def test_the_column_is_never_empty():
    # Not null in the database: a row can never be left out of its program's shard.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'program_id' AND is_nullable = 'YES' AND table_name = ANY(%s)",
            [clinical_tables()],
        )
        nullable = sorted(row[0] for row in cursor.fetchall())
    assert not nullable, f"program_id may be empty in: {nullable}"


# The copy follows its parent, and cannot be made to disagree with it (each table's SameProgram lists "program").


@pytest.fixture
def linked(coach, patient, supervisor, program):
    """An encounter with her note and a resource, a concern with a supervisor's note, a referral answering it."""
    resource = Resource.objects.create(program=program, name="Harbor Family Services")
    encounter = encounter_log(
        actor=Actor(coach, None),
        fields={"kind": "phone", "occurred_at": timezone.now(), "duration_minutes": 20, "summary": "Called her."},
        patients=[patient],
        resources=[resource],
        notes={patient.pk: "Doing better."},
    )
    concern = share_concern(coach, patient)
    concern_add_note(actor=Actor(supervisor, None), concern=concern, text="Call me after you see her.")
    record_referral(supervisor, patient, concerns=[concern])
    return encounter


COPIES = {
    "coaching_encounterpatient": EncounterPatient,
    "coaching_encounternote": EncounterNote,
    "coaching_encounter_resources": EncounterResource,
    "coaching_concernnote": ConcernNote,
    "patients_coachassignment": CoachAssignment,
    "patients_patientuserobjectpermission": PatientUserObjectPermission,
    "referrals_referral_concerns": ReferralConcern,
}


def test_each_row_takes_its_parents_program(linked, program):
    for table, model in COPIES.items():
        assert set(model.objects.values_list("program_id", flat=True)) == {program.pk}, table


@pytest.mark.parametrize("table", [t for t in COPIES if t != "coaching_concernnote"])  # a note is written once
def test_a_row_naming_another_program_than_its_parent_is_refused(linked, other_program, table):
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET program_id = %s", [other_program.pk])  # noqa: S608 (a table name above)
    assert refused.value.__cause__.diag.constraint_name == SAME_PROGRAM


def test_a_row_written_with_another_program_than_its_parent_is_refused(linked, patient, other_program):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        EncounterNote.objects.create(program=other_program, encounter=linked, patient=patient, text="")
    assert refused.value.__cause__.diag.constraint_name == SAME_PROGRAM
