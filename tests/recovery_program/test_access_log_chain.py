"""The access log's hash chain: rows are sealed after they commit, and verify_access_log names what was changed."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from contextlib import contextmanager

import psycopg
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from recovery_program import access_log_chain
from recovery_program.access_log_chain import seal
from recovery_program.audit import Actor, log_access, log_access_many
from recovery_program.celery import app
from recovery_program.database_roles import INSERT_ONLY_TABLES
from recovery_program.models import AccessAction, AccessLog, AccessLogSeal, AccessLogSealer
from recovery_program.tasks import seal_access_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(supervisor, patient):
    """Logs one read of the patient by the supervisor; returns the row."""

    def log_one(address: str | None = "192.0.2.7"):
        return log_access(Actor(supervisor, address), AccessAction.VIEW, patient=patient)

    return log_one


@pytest.fixture
def three_rows(log):
    rows = [log(), log(None), log("2001:db8::7")]
    seal()
    return rows


def verify(*args: str) -> str:
    """Runs verify_access_log, which must pass; returns what it printed."""
    out = io.StringIO()
    call_command("verify_access_log", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    """Runs verify_access_log, which must exit non-zero; returns all it complained of."""
    stderr = io.StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("verify_access_log", *args, stdout=io.StringIO(), stderr=stderr)
    return stderr.getvalue() + str(refusal.value)


@contextmanager
def triggers_set_aside():
    """What a superuser (or the tables' owner) can do: write with every trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def seals():
    return list(AccessLogSeal.objects.order_by("sequence"))


def sequence_of(row) -> int:
    return AccessLogSeal.objects.get(access_log=row).sequence


def recorded_head() -> str:
    """The head as verify_access_log prints it, to be kept outside the database."""
    head = seals()[-1]
    return f"{head.sequence}:{bytes(head.hash).hex()}"


# Sealing


def test_sealing_links_each_row_to_the_one_before_in_id_order(three_rows):
    rows = list(AccessLog.objects.order_by("pk"))  # the three, and what the fixtures logged before them
    assert rows[-3:] == three_rows
    previous = bytes(32)
    for sequence, (row, link) in enumerate(zip(rows, seals(), strict=True), start=1):
        # Written out here rather than through the module, so a change of what is hashed fails this test.
        at = row.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        form = [2, sequence, row.pk, at, row.user_id, row.action, row.patient_id, row.record_type, row.record_id]
        form += [row.ip_address, row.patient_ids]
        previous = hashlib.sha256(previous + json.dumps(form, separators=(",", ":")).encode())
        previous = previous.digest()
        assert (link.sequence, link.access_log_id, link.logged_by, link.logged_at) == (
            sequence,
            row.pk,
            row.user_id,
            row.at,
        )
        assert bytes(link.hash) == previous


def test_the_hashed_form_holds_every_column_of_the_access_log():
    # A new column on AccessLog must be hashed too: add a version 3 of the form (and keep versions 1 and 2 for
    # the seals already written) before changing this list.
    assert [field.column for field in AccessLog._meta.concrete_fields] == list(access_log_chain.COLUMNS_V2)
    for column in access_log_chain.COLUMNS_V2:
        assert f"a.{column}" in access_log_chain.ROW_V2


def test_a_list_row_is_sealed_with_its_patient_ids_and_a_changed_list_is_named(supervisor, patient):
    listed = log_access_many(Actor(supervisor, None), AccessAction.VIEW, [patient.pk, 7], record_type="patient list")
    seal()
    assert AccessLogSeal.objects.get(access_log=listed).version == 2
    verify()

    with triggers_set_aside() as cursor:
        cursor.execute("UPDATE recovery_program_accesslog SET patient_ids = '{7}' WHERE id = %s", [listed.pk])

    assert f"The access-log row {listed.pk} " in refused()


def _seal_as_version_1(rows) -> None:
    """Seals rows the way the code before `patient_ids` did (version 1), as the seals made before it were."""
    previous = access_log_chain.GENESIS
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {access_log_chain.ROW_V1} FROM recovery_program_accesslog a ORDER BY a.id")  # noqa: S608
        for sequence, row in enumerate(cursor.fetchall(), start=1):
            form = json.dumps([1, sequence, *row], separators=(",", ":")).encode()
            previous = hashlib.sha256(previous + form).digest()
            logged = AccessLog.objects.get(pk=row[0])
            AccessLogSeal.objects.create(
                sequence=sequence,
                access_log=logged,
                version=1,
                logged_at=logged.at,
                logged_by=logged.user_id,
                hash=previous,
            )


def test_seals_of_version_1_still_verify_and_the_chain_goes_on_in_version_2(log, supervisor, patient):
    log()
    log()
    _seal_as_version_1(AccessLog.objects.all())
    AccessLogSealer.objects.update_or_create(id=1, defaults={"sealed_through": 0})
    listed = log_access_many(Actor(supervisor, None), AccessAction.VIEW, [patient.pk], record_type="patient list")
    seal()

    assert list(AccessLogSeal.objects.values_list("version", flat=True)) == [1] * (len(seals()) - 1) + [2]
    assert AccessLogSeal.objects.get(access_log=listed).version == 2
    verify()


def test_a_row_sealed_in_version_1_that_gains_patient_ids_is_named(log, patient):
    old = log()
    _seal_as_version_1(AccessLog.objects.all())
    with triggers_set_aside() as cursor:
        cursor.execute(
            "UPDATE recovery_program_accesslog SET patient_ids = ARRAY[%s] WHERE id = %s", [patient.pk, old.pk]
        )

    assert f"The access-log row {old.pk} " in refused()


def test_sealing_twice_seals_each_row_once_and_the_next_row_goes_on_the_end(three_rows, log):
    before = seals()
    assert seal() == 0
    assert seals() == before

    later = log()
    assert seal() == 1
    assert (seals()[-1].sequence, seals()[-1].access_log_id) == (len(before) + 1, later.pk)
    assert [bytes(link.hash) for link in seals()[:-1]] == [bytes(link.hash) for link in before]
    verify()


def test_a_sealer_finding_another_at_work_leaves_the_rows_to_it(log, other_connection):
    log()
    other_connection.execute("SELECT pg_advisory_lock(%s)", [access_log_chain.SEALER_LOCK])
    assert seal() == 0
    assert seals() == []

    other_connection.execute("SELECT pg_advisory_unlock(%s)", [access_log_chain.SEALER_LOCK])
    assert seal() == AccessLog.objects.count()


def test_sealing_costs_the_same_queries_for_each_batch(log):
    seal()  # its first run notes a checkpoint: one query more than the runs measured here

    def queries_to_seal(rows: int) -> int:
        for _ in range(rows):
            log()
        with CaptureQueriesContext(connection) as queries:
            assert seal(batch_size=2) == rows
        return len([query for query in queries if "SAVEPOINT" not in query["sql"]])

    # 6 rows: the settling step, three full batches and an empty one; 12 rows: three full batches more.
    assert queries_to_seal(12) - queries_to_seal(6) == 3 * 5


def test_the_task_seals_and_beat_runs_it_every_minute(log):
    log()
    assert seal_access_log() == AccessLog.objects.count()
    assert seal_access_log() == 0

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "recovery_program.tasks.seal_access_log")
    assert entry["schedule"] == 60.0
    assert "recovery_program.tasks.seal_access_log" in app.tasks


def test_logging_a_read_stays_one_insert(supervisor, patient, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        log_access(Actor(supervisor, None), AccessAction.VIEW, patient=patient)
    assert queries.captured_queries[0]["sql"].startswith('INSERT INTO "recovery_program_accesslog"')


def test_nobody_changes_or_removes_a_seal_without_setting_the_trigger_aside(three_rows):
    for statement in (
        "UPDATE recovery_program_accesslogseal SET logged_by = 0 WHERE sequence = 2",
        "DELETE FROM recovery_program_accesslogseal WHERE sequence = 2",
    ):
        with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
            connection.cursor().execute(statement)
    assert (AccessLogSeal._meta.db_table,) == INSERT_ONLY_TABLES


# Rows that commit late, and the watermark


@pytest.fixture
def other_connection():
    """A second connection to the test database, as the tests' own role (a request in another process)."""
    params = connection.get_connection_params()  # as Django connects: a socket directory for the embedded server
    params.pop("cursor_factory", None)
    other = psycopg.connect(**params)
    other.autocommit = True
    yield other
    other.close()


def insert_row(cursor, user_id: int) -> int:
    cursor.execute(
        "INSERT INTO recovery_program_accesslog (at, user_id, action, record_type, record_id) "
        "VALUES (now(), %s, 'view', 'caseload', '') RETURNING id",
        [user_id],
    )
    return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_row_whose_transaction_commits_late_with_a_lower_id_is_sealed_later(
    log, supervisor, other_connection, frozen_now
):
    late = other_connection.cursor()
    late.execute("BEGIN")
    late_id = insert_row(late, supervisor.pk)  # a request still at work
    log()
    log()
    sealed_before = list(AccessLog.objects.order_by("pk").values_list("pk", flat=True))
    assert seal() == len(sealed_before)

    # However often the sealer runs, its watermark stays below the open transaction's row.
    for minutes in range(2, 12, 2):
        with time_machine.travel(frozen_now + datetime.timedelta(minutes=minutes)):
            seal()
    assert AccessLogSealer.objects.get().sealed_through < late_id

    late.execute("COMMIT")
    assert seal() == 1
    assert [link.access_log_id for link in seals()] == [*sealed_before, late_id]
    verify()


@pytest.mark.django_db(transaction=True)
def test_the_watermark_rises_once_every_transaction_that_took_a_lower_id_has_ended(
    log, monkeypatch, frozen_now, django_assert_max_num_queries
):
    rows = [log(), log(), log()]
    seal()
    assert AccessLogSealer.objects.get().sealed_through == 0

    # Other databases of the test server may have transactions open for a while: count none as running.
    real = access_log_chain._oldest_running_and_newest
    monkeypatch.setattr(access_log_chain, "_oldest_running_and_newest", lambda cursor: (2**62, real(cursor)[1]))
    with time_machine.travel(frozen_now + datetime.timedelta(seconds=59)):
        seal()  # too soon for the fence: a request that took an id may not have its transaction id yet
    assert AccessLogSealer.objects.get().pending_fence is None
    with time_machine.travel(frozen_now + datetime.timedelta(minutes=1)):
        seal()  # the fence
    assert AccessLogSealer.objects.get().pending_fence is not None
    assert AccessLogSealer.objects.get().sealed_through == 0
    with time_machine.travel(frozen_now + datetime.timedelta(minutes=2)):
        seal()  # settled
    assert AccessLogSealer.objects.get().sealed_through == rows[-1].pk

    later = log()
    # Rows below the watermark are not read again.
    with CaptureQueriesContext(connection) as queries:
        assert seal() == 1
    lookups = [q["sql"] for q in queries.captured_queries if "NOT EXISTS" in q["sql"]]
    assert lookups
    assert all(f"a.id > {rows[-1].pk}" in sql for sql in lookups)
    assert seals()[-1].access_log_id == later.pk


# verify_access_log


def test_verify_passes_on_an_intact_log_and_prints_its_head(three_rows):
    output = verify()
    assert f"{len(seals())} seals checked" in output
    assert f"Head: {recorded_head()}\n" in output
    verify("--head", recorded_head())


def test_verify_names_the_row_a_superuser_changed(three_rows, supervisor):
    changed = three_rows[1]
    with triggers_set_aside() as cursor:
        cursor.execute("UPDATE recovery_program_accesslog SET record_id = 'forged' WHERE id = %s", [changed.pk])

    complaint = refused()
    assert f"The access-log row {changed.pk} (logged by user {supervisor.pk} at " in complaint
    assert f"seal {sequence_of(changed)}) was changed after it was sealed" in complaint
    assert f"row {three_rows[0].pk} " not in complaint
    assert f"row {three_rows[2].pk} " not in complaint


def test_verify_names_a_changed_row_at_the_head_of_the_chain(three_rows):
    with triggers_set_aside() as cursor:
        cursor.execute(
            "UPDATE recovery_program_accesslog SET ip_address = '10.0.0.1' WHERE id = %s", [three_rows[2].pk]
        )
    assert f"row {three_rows[2].pk} " in refused()


def test_verify_names_the_row_a_superuser_removed(three_rows):
    with triggers_set_aside() as cursor:
        cursor.execute("DELETE FROM recovery_program_accesslog WHERE id = %s", [three_rows[0].pk])
    complaint = refused()
    assert f"The access-log row {three_rows[0].pk} " in complaint
    assert "was removed" in complaint


def test_verify_names_a_removed_seal(three_rows):
    with triggers_set_aside() as cursor:
        cursor.execute("DELETE FROM recovery_program_accesslogseal WHERE sequence = %s", [sequence_of(three_rows[1])])
    complaint = refused()
    assert (
        f"Seal {sequence_of(three_rows[2]) - 1} was removed (just before the access-log row {three_rows[2].pk} "
        in complaint
    )
    assert "changed" not in complaint


def test_verify_names_a_seal_whose_hash_was_altered(three_rows):
    with triggers_set_aside() as cursor:
        cursor.execute(
            "UPDATE recovery_program_accesslogseal SET hash = sha256('forged') WHERE sequence = %s",
            [sequence_of(three_rows[1])],
        )
    complaint = refused()
    assert f"Seal {sequence_of(three_rows[1])} was altered: its hash is not the one sealed" in complaint
    assert "changed" not in complaint


def test_verify_names_a_seal_whose_copy_of_who_and_when_was_altered(three_rows, admin):
    with triggers_set_aside() as cursor:
        cursor.execute(
            "UPDATE recovery_program_accesslogseal SET logged_by = %s WHERE sequence = %s",
            [admin.pk, sequence_of(three_rows[0])],
        )
    assert f"Seal {sequence_of(three_rows[0])} was altered: its user or time is not its row's" in refused()


def test_verify_with_the_head_kept_elsewhere_finds_a_chain_rewritten_from_a_changed_row(three_rows):
    recorded, changed = recorded_head(), three_rows[1]
    # Someone able to set the triggers aside changes a row and seals everything after it again.
    with triggers_set_aside() as cursor:
        cursor.execute("UPDATE recovery_program_accesslog SET record_id = 'forged' WHERE id = %s", [changed.pk])
        cursor.execute("DELETE FROM recovery_program_accesslogseal WHERE sequence >= %s", [sequence_of(changed)])
    seal()
    verify()  # the chain is whole again, as far as the database alone can tell

    assert f"Seal {sequence_of(three_rows[2])} is not the head recorded earlier" in refused("--head", recorded)


def test_verify_with_the_head_kept_elsewhere_finds_a_chain_cut_back(three_rows):
    recorded, last = recorded_head(), sequence_of(three_rows[2])
    with triggers_set_aside() as cursor:
        cursor.execute("DELETE FROM recovery_program_accesslogseal WHERE sequence = %s", [last])
        cursor.execute("DELETE FROM recovery_program_accesslog WHERE id = %s", [three_rows[2].pk])
    verify()  # as far as the database alone can tell
    assert f"seal {last}, is gone" in refused("--head", recorded)


def test_verify_reports_rows_the_sealer_left_unsealed(three_rows, log, frozen_now):
    stranded = log()
    verify()  # logged a moment ago: the sealer's next run will take it
    with time_machine.travel(frozen_now + datetime.timedelta(minutes=16)):
        complaint = refused()
    assert "1 access-log rows older than" in complaint
    assert f"(the first: row {stranded.pk})" in complaint


def test_verify_reads_the_chain_in_batches_of_constant_queries(log):
    log()
    seal()
    for _ in range(7 - len(seals())):
        log()
    seal()
    assert len(seals()) == 7
    with CaptureQueriesContext(connection) as queries:
        verify("--batch-size", "2")
    # The end of the months archived, four batches (2, 2, 2, 1 seals) and the count of rows left unsealed.
    assert len(queries) == 6
