"""The access log is partitioned by month: partitions made ahead by a beat task, old months archived to files."""

from __future__ import annotations

import datetime
import gzip
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import InternalError, ProgrammingError, connection, transaction

from recovery_program import access_log_partitions
from recovery_program.access_log_chain import seal, verify
from recovery_program.audit import Actor, log_access, log_access_many
from recovery_program.celery import app
from recovery_program.models import AccessAction, AccessLog, AccessLogArchive, AccessLogSeal
from recovery_program.tasks import add_access_log_partitions

pytestmark = pytest.mark.django_db

JUNE_2027 = datetime.datetime(2027, 6, 15, 14, 0, tzinfo=datetime.UTC)
JAN_2020 = datetime.datetime(2020, 1, 20, 14, 0, tzinfo=datetime.UTC)


def partition_of(row: AccessLog) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM recovery_program_accesslog WHERE id = %s", [row.pk])
        return cursor.fetchone()[0]


def logged_at(instant: datetime.datetime, user, patient) -> AccessLog:
    with time_machine.travel(instant, tick=False):
        return log_access(Actor(user, None), AccessAction.VIEW, patient=patient)


def test_the_beat_task_makes_this_month_and_the_next_three_and_twice_makes_nothing_more():
    with time_machine.travel(JUNE_2027, tick=False):
        made = add_access_log_partitions.apply().get()
        again = add_access_log_partitions.apply().get()

    assert made == 4
    assert again == 0
    months = access_log_partitions.months()
    assert [datetime.date(2027, m, 1) for m in (6, 7, 8, 9)] == [m for m in months if m >= datetime.date(2027, 6, 1)]
    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert "recovery_program.tasks.add_access_log_partitions" in schedule
    assert add_access_log_partitions.max_retries == 5


def test_a_row_no_month_holds_goes_to_the_default_and_moves_when_its_month_is_made(supervisor, patient):
    stray = logged_at(JUNE_2027 + datetime.timedelta(days=400), supervisor, patient)
    assert partition_of(stray) == "recovery_program_accesslog_default"

    with time_machine.travel(JUNE_2027 + datetime.timedelta(days=400), tick=False):
        access_log_partitions.add_months(ahead=0)

    assert partition_of(stray) == "recovery_program_accesslog_2028_07"
    assert AccessLog.objects.filter(pk=stray.pk).exists()


def test_rows_and_partitions_refuse_update_and_delete(supervisor, patient):
    with time_machine.travel(JUNE_2027, tick=False):
        access_log_partitions.add_months(ahead=0)
    row = logged_at(JUNE_2027, supervisor, patient)
    statements = [
        ("UPDATE recovery_program_accesslog SET record_id = 'x' WHERE id = %s", [row.pk]),
        ("DELETE FROM recovery_program_accesslog WHERE id = %s", [row.pk]),
        ("UPDATE recovery_program_accesslog_2027_06 SET record_id = 'x' WHERE id = %s", [row.pk]),
        ("DELETE FROM recovery_program_accesslog_2027_06 WHERE id = %s", [row.pk]),
    ]
    for statement, params in statements:
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert AccessLog.objects.filter(pk=row.pk, record_id=str(patient.pk)).exists()


def test_the_chain_verifies_across_partitions_and_list_rows(supervisor, patient, other_patient):
    with time_machine.travel(JUNE_2027, tick=False):
        access_log_partitions.add_months(ahead=1)
    rows = [
        logged_at(JUNE_2027, supervisor, patient),
        logged_at(JUNE_2027 + datetime.timedelta(days=30), supervisor, patient),
    ]
    with time_machine.travel(JUNE_2027 + datetime.timedelta(days=31), tick=False):
        rows.append(
            log_access_many(
                Actor(supervisor, None), AccessAction.VIEW, [patient.pk, other_patient.pk], record_type="list"
            )
        )
        seal()
        verdict = verify(unsealed_before=JUNE_2027)

    assert {partition_of(row) for row in rows} == {
        "recovery_program_accesslog_2027_06",
        "recovery_program_accesslog_2027_07",
    }
    assert verdict.problems == []


def _archive(*args: str) -> str:
    out = io.StringIO()
    call_command("access_log_archive", *args, stdout=out)
    return out.getvalue()


def test_the_archive_moves_months_past_retention_to_a_file_and_the_chain_still_verifies(supervisor, patient, tmp_path):
    with time_machine.travel(JAN_2020, tick=False):
        access_log_partitions.add_months(ahead=0)
    old = [logged_at(JAN_2020, supervisor, patient), logged_at(JAN_2020, supervisor, patient)]
    kept = logged_at(JUNE_2027, supervisor, patient)
    with time_machine.travel(JUNE_2027, tick=False):
        seal()
        with pytest.raises(CommandError, match="kept 6 years"):
            _archive("--before", "2027-01", "--to", str(tmp_path))

        output = _archive("--before", "2020-02", "--to", str(tmp_path))
        verdict = verify(unsealed_before=JAN_2020)

    assert "2020-01: 2 rows" in output
    assert not AccessLog.objects.filter(pk__in=[row.pk for row in old]).exists()
    assert AccessLog.objects.filter(pk=kept.pk).exists()
    assert datetime.date(2020, 1, 1) not in access_log_partitions.months()
    archive = AccessLogArchive.objects.get()
    last_old_seal = AccessLogSeal.objects.get(access_log_id=old[-1].pk)
    assert (archive.rows, archive.last_sequence) == (2, last_old_seal.sequence)
    assert bytes(archive.last_hash) == bytes(last_old_seal.hash)
    with gzip.open(tmp_path / archive.file_name, "rt") as archived:
        lines = archived.read().splitlines()
    assert json.loads(lines[0])["last_hash"] == bytes(last_old_seal.hash).hex()
    assert [lines[1], lines[4], len(lines)] == ["-- rows", "-- seals", 7]
    assert (verdict.problems, verdict.archived) == ([], 2)


def test_old_rows_left_in_the_default_partition_are_archived_with_their_month(supervisor, patient, tmp_path):
    # No partition for January 2020 (the beat task never ran then): the rows wait in the default partition.
    stray = [logged_at(JAN_2020, supervisor, patient), logged_at(JAN_2020, supervisor, patient)]
    assert {partition_of(row) for row in stray} == {"recovery_program_accesslog_default"}
    kept = logged_at(JUNE_2027 + datetime.timedelta(days=400), supervisor, patient)  # in the default too, but young
    with time_machine.travel(JUNE_2027, tick=False):
        seal()
        output = _archive("--before", "2020-02", "--to", str(tmp_path))

    assert "2020-01: moved out of the default partition" in output
    assert "2020-01: 2 rows" in output
    assert not AccessLog.objects.filter(pk__in=[row.pk for row in stray]).exists()
    assert partition_of(kept) == "recovery_program_accesslog_default"
    assert AccessLogArchive.objects.get().rows == 2
