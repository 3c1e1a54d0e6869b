"""Encounters logged before their women's rows carried the encounter's time get it from the migration, batch by
batch, and what the encounter was (an attempt with no contact, entered in error) decides "reached her"."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from coaching.models import EncounterKind, EncounterPatient
from coaching.services import encounter_mark_in_error
from recovery_program.audit import Actor
from tests.factories import log_encounter

BEFORE = [("coaching", "0015_merge_wave_of_2026_11_30")]
MIGRATION = importlib.import_module("coaching.migrations.0016_encounter_time_on_her_rows")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_every_older_row_in_batches(monkeypatch, coach, patient):
    now = timezone.now()
    met = log_encounter(coach, [patient], kind=EncounterKind.COMMUNITY, occurred_at=now - datetime.timedelta(days=3))
    tried = log_encounter(coach, [patient], kind=EncounterKind.OUTREACH, occurred_at=now - datetime.timedelta(days=2))
    wrong = log_encounter(coach, [patient], kind=EncounterKind.PHONE, occurred_at=now - datetime.timedelta(days=1))
    encounter_mark_in_error(actor=Actor(coach, None), encounter=wrong, reason="Wrong day.")
    expected = {
        (met.pk, met.occurred_at, True),
        (tried.pk, tried.occurred_at, False),
        (wrong.pk, wrong.occurred_at, False),
    }
    monkeypatch.setattr(MIGRATION, "BATCH", 1)  # one row a batch: every batch boundary is crossed
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM coaching_encounterpatient")
            assert cursor.fetchone()[0] == 3
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # every app's latest: later tests need them all

    filled = set(EncounterPatient.objects.values_list("encounter_id", "occurred_at", "reached"))
    assert filled == expected
