"""`make backup` / `make restore`: the demo data round-trips through one archive into another database, row for
row, with the private files, and the access log's chain still verifies there."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from recovery_program import access_log_chain
from recovery_program.backup import backup_create, backup_restore, backups_prune

ROOT = Path(__file__).resolve().parents[2]


def _connect(params: dict, dbname: str) -> psycopg.Connection:
    keys = ("host", "port", "user", "password")
    return psycopg.connect(dbname=dbname, autocommit=True, **{key: params[key] for key in keys if params.get(key)})


def _row_counts(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        counts[table] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (our table names)
    return counts


def _database_url(params: dict, dbname: str) -> str:
    host = params.get("host") or "localhost"
    login = f"{params.get('user', '')}:{params.get('password') or ''}"
    if str(host).startswith("/"):
        return f"postgresql://{login}@/{dbname}?host={host}"
    return f"postgres://{login}@{host}:{params.get('port') or 5432}/{dbname}"


@pytest.fixture
def scratch_database():
    params = connection.get_connection_params()
    name = f"{connection.settings_dict['NAME']}_restored"
    with _connect(params, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _connect(params, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_the_demo_data_round_trips_through_a_backup(tmp_path, settings, scratch_database):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    access_log_chain.seal()
    certificate = settings.PRIVATE_MEDIA_ROOT / "certificates" / "cpr.pdf"
    certificate.parent.mkdir(parents=True)
    certificate.write_bytes(b"%PDF-1.4 a certificate")
    params = connection.get_connection_params()
    major = connection.pg_version // 10000

    archive = backup_create(
        params=params,
        server_major=major,
        private_root=settings.PRIVATE_MEDIA_ROOT,
        into=tmp_path / "backups",
        now=timezone.now(),
    )
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds every record: its owner's eyes only

    restored_private = tmp_path / "restored" / "private"
    backup_restore(
        archive=archive,
        params={**params, "dbname": scratch_database},
        server_major=major,
        private_root=restored_private,
    )

    tables = connection.introspection.table_names()
    with _connect(params, connection.settings_dict["NAME"]) as source, _connect(params, scratch_database) as copy:
        before, after = _row_counts(source, tables), _row_counts(copy, tables)
    assert after == before
    assert before["patients_patient"] > 0
    assert before["recovery_program_accesslog"] > 0
    assert (restored_private / "certificates" / "cpr.pdf").read_bytes() == b"%PDF-1.4 a certificate"

    verified = subprocess.run(
        [sys.executable, "manage.py", "verify_access_log"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url(params, scratch_database)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Head:" in verified.stdout


def test_pruning_keeps_the_last_days_and_one_backup_a_month(tmp_path):
    now = datetime.datetime(2027, 6, 30, 2, 0, tzinfo=datetime.UTC)
    for days_ago in range(0, 400, 3):
        taken = now - datetime.timedelta(days=days_ago)
        (tmp_path / f"recovery-backup-{taken:%Y%m%dT%H%M%SZ}.tar").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup")

    backups_prune(tmp_path, keep_days=35, keep_months=12, now=now)

    left = sorted(path.name for path in tmp_path.glob("recovery-backup-*.tar"))
    recent = [name for name in left if name >= f"recovery-backup-{now - datetime.timedelta(days=35):%Y%m%d}"]
    older_months = {name[16:22] for name in left if name not in recent}
    assert len(recent) == 12  # every one of the last 35 days (one every 3 days)
    assert len(older_months) == len([name for name in left if name not in recent])  # one a month
    assert len(older_months) <= 12
    assert (tmp_path / "notes.txt").exists()
