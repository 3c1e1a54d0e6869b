"""The app's database role reads and writes rows, and cannot empty the access log or set its triggers aside."""

from __future__ import annotations

import io

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from recovery_program.access_log_chain import seal
from recovery_program.audit import Actor, log_access
from recovery_program.models import AccessAction, AccessLog

pytestmark = pytest.mark.django_db(transaction=True)  # the role and its grants must be visible to its connection

PASSWORD = "app-role-in-tests"


def trigger_of(table: str, name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s",
            [table, f"pgtrigger_{name}_%"],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def as_app(monkeypatch):
    """A connection to the test database as the app's role, created the way the README says."""
    settings = connection.settings_dict
    role = f"{settings['NAME']}_app"
    monkeypatch.setenv("APP_DATABASE_PASSWORD", PASSWORD)
    call_command("grant_app_role", role, stdout=None)
    params = connection.get_connection_params()  # as Django connects: a socket directory for the embedded server
    params.pop("cursor_factory", None)
    app = psycopg.connect(**params | {"user": role, "password": PASSWORD})
    app.autocommit = True
    yield app.cursor()
    app.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.fixture
def logged(supervisor, patient):
    return log_access(Actor(supervisor, None), AccessAction.VIEW, patient=patient)


def test_the_app_role_reads_and_appends_to_the_access_log(as_app, logged):
    as_app.execute(
        "INSERT INTO recovery_program_accesslog (at, user_id, action, record_type, record_id) "
        "VALUES (now(), %s, 'view', 'patient', '') RETURNING id",
        [logged.user_id],
    )
    assert as_app.fetchone()[0] > logged.pk
    as_app.execute("SELECT count(*) FROM recovery_program_accesslog")
    assert as_app.fetchone()[0] == AccessLog.objects.count()


def test_the_app_role_cannot_truncate_the_access_log(as_app, logged):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute("TRUNCATE recovery_program_accesslog")
    assert AccessLog.objects.filter(pk=logged.pk).exists()


def test_the_app_role_cannot_disable_the_access_logs_triggers(as_app, logged):
    for name in ("append_only",):
        trigger = trigger_of("recovery_program_accesslog", name)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            as_app.execute(f"ALTER TABLE recovery_program_accesslog DISABLE TRIGGER {trigger}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
        as_app.execute("ALTER TABLE recovery_program_accesslog DISABLE TRIGGER ALL")


def test_the_app_role_cannot_skip_a_trigger_with_pgtriggers_ignore_setting(as_app, logged, patient):
    append_only = trigger_of("recovery_program_accesslog", "append_only")
    as_app.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [f"{{{append_only}}}"])
    with pytest.raises(psycopg.errors.RaiseException, match="Cannot update or delete"):
        as_app.execute("UPDATE recovery_program_accesslog SET record_id = 'forged' WHERE id = %s", [logged.pk])
    with pytest.raises(psycopg.errors.RaiseException, match="Cannot update or delete"):
        as_app.execute("DELETE FROM recovery_program_accesslog WHERE id = %s", [logged.pk])

    # Nor the no-delete trigger of a clinical table.
    no_delete = trigger_of("patients_patient", "no_delete")
    as_app.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [f"{{{no_delete}}}"])
    with pytest.raises(psycopg.errors.RaiseException, match="Cannot delete"):
        as_app.execute("DELETE FROM patients_patient WHERE id = %s", [patient.pk])


def test_the_app_role_adds_and_reads_seals_of_the_access_log_but_never_changes_or_removes_one(as_app, logged):
    as_app.execute(
        "INSERT INTO recovery_program_accesslogseal (sequence, access_log_id, version, logged_at, logged_by, hash) "
        "VALUES (1, %s, 1, now(), %s, sha256('x'))",
        [logged.pk, logged.user_id],
    )
    as_app.execute("SELECT count(*) FROM recovery_program_accesslogseal")
    assert as_app.fetchone()[0] == 1
    for statement in (
        "UPDATE recovery_program_accesslogseal SET hash = sha256('forged')",
        "DELETE FROM recovery_program_accesslogseal",
        "TRUNCATE recovery_program_accesslogseal",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_app.execute(statement)


def test_the_app_role_reads_the_record_of_archived_months_but_never_writes_it(as_app):
    # Only the owner archives (manage.py access_log_archive): a leaked app password cannot forge or hide a month.
    as_app.execute("SELECT count(*) FROM recovery_program_accesslogarchive")
    assert as_app.fetchone()[0] == 0
    for statement in (
        "INSERT INTO recovery_program_accesslogarchive (month, before, file_name, sha256, rows, archived_at) "
        "VALUES ('2019-01-01', '2019-02-01', 'forged.jsonl.gz', '', 0, now())",
        "UPDATE recovery_program_accesslogarchive SET rows = 0",
        "DELETE FROM recovery_program_accesslogarchive",
        "TRUNCATE recovery_program_accesslogarchive",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_app.execute(statement)


def test_the_app_role_runs_the_sealer_and_the_check(as_app, logged):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["NAME"]}_app"')
        try:
            assert seal() == AccessLog.objects.count()
            call_command("verify_access_log", stdout=io.StringIO())
        finally:
            cursor.execute("RESET ROLE")
