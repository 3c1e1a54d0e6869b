"""The migration that partitions the access log by month (recovery_program 0010), run on a table with rows:
every row keeps its id and its words, lands in its month's partition, stays append-only, and new rows take ids
after the old ones. Back, it is one plain table again with every row."""

from __future__ import annotations

import datetime

import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from recovery_program import access_log_partitions
from recovery_program.audit import Actor, log_access
from recovery_program.models import AccessAction, AccessLog

BEFORE = [("recovery_program", "0009_accesslog_user_at")]
COLUMNS = "id, at, action, record_type, record_id, ip_address, patient_id, user_id, patient_ids"


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM recovery_program_accesslog ORDER BY id")  # noqa: S608 (constant)
        return cursor.fetchall()


def _is_partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'recovery_program_accesslog'")
        return cursor.fetchone()[0] == "p"


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_partitioning_keeps_every_row_of_every_month_and_going_back_keeps_them_too(supervisor, patient):
    log_access(Actor(supervisor, "203.0.113.9"), AccessAction.VIEW, patient=patient)
    try:
        _migrate(BEFORE)
        assert not _is_partitioned()
        already = len(_rows())
        with connection.cursor() as cursor:
            # Rows of three older months, a list's row naming two women, and one a year ahead of any partition.
            cursor.execute(
                "INSERT INTO recovery_program_accesslog (at, action, record_type, record_id, ip_address, patient_id,"
                " user_id, patient_ids) VALUES"
                " ('2024-02-29 12:00-05', 'view', 'encounter', '7', '198.51.100.4', %(patient)s, %(user)s, NULL),"
                " ('2025-07-01 00:00-04', 'export', 'export', 'encounters', NULL, NULL, %(user)s, NULL),"
                " ('2025-07-31 23:59-04', 'view', 'patient list', '', NULL, NULL, %(user)s, ARRAY[%(patient)s, 5]),"
                " (now() + interval '1 year', 'view', 'concern', '9', NULL, %(patient)s, %(user)s, NULL)",
                {"patient": patient.pk, "user": supervisor.pk},
            )
        before = _rows()
        assert len(before) == already + 4
    finally:
        _migrate(None)  # every app's latest: later tests need them all

    assert _is_partitioned()
    assert _rows() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM recovery_program_accesslog GROUP BY 1 ORDER BY 1"
        )
        homes = dict(cursor.fetchall())
    assert homes["recovery_program_accesslog_2024_02"] == 1
    assert homes["recovery_program_accesslog_2025_07"] == 1
    assert homes["recovery_program_accesslog_2025_08"] == 1  # months are UTC's: 23:59 on July 31 in New York
    assert homes["recovery_program_accesslog_default"] == 1  # no month made that far ahead yet
    assert datetime.date(2024, 2, 1) in access_log_partitions.months()

    newest = log_access(Actor(supervisor, None), AccessAction.VIEW, patient=patient)
    assert newest.pk > max(row[0] for row in before)
    with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
        AccessLog.objects.filter(record_type="encounter", record_id="7").update(record_type="changed")

    try:
        _migrate(BEFORE)
        assert not _is_partitioned()
        assert _rows()[: len(before)] == before
    finally:
        _migrate(None)
    assert _is_partitioned()
    assert len(_rows()) == len(before) + 1
