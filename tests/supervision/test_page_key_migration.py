"""Pages written before keys existed each get a key of their own: a restore starts ids again, and a key made from
the id would repeat one a provider has already seen."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

BEFORE = [("supervision", "0009_page_rounds_after_everyone")]


@pytest.mark.django_db(transaction=True)
def test_existing_pages_get_distinct_keys(coach, patient, supervisor, backup_supervisor, program):
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))
    with time_machine.travel(AFTER_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")
        share_concern(coach, patient, urgency="urgent_now")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM supervision_page")
            assert cursor.fetchone()[0] == 4  # an e-mail and a text for each concern
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # every app's latest: later tests need them all
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT key), count(*) FROM supervision_page WHERE key IS NOT NULL")
        assert cursor.fetchone() == (4, 4)
