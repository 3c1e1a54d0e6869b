"""The access log's monthly partitions: made ahead by a beat task, archived to files after the retention period.

The table is partitioned by month of `at` (migration 0010); a default partition catches a row no month holds.
`add_months` makes this month's partition and the next ones (through `recovery_program_accesslog_add_month`, a
SECURITY DEFINER function of the tables' owner: the app's role owns no table). `claim_default_months` does the
same for old months whose rows wait in the default partition, which is never archived itself. `archive_month`
detaches one month, writes its rows and their seals to a gzip file, records the seal its last row had (the
predecessor of the first row kept) in `AccessLogArchive`, and only then drops the detached table. Run it as the
tables' owner.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from recovery_program.models import AccessLog, AccessLogArchive, AccessLogSeal

LOG = AccessLog._meta.db_table
SEAL = AccessLogSeal._meta.db_table
AHEAD = 3  # months made ahead of this one


def first_of_month(day: datetime.date, months: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(month: datetime.date) -> str:
    return f"{LOG}_{month:%Y_%m}"


def add_months(*, ahead: int = AHEAD) -> list[datetime.date]:
    """Makes this month's partition and the next `ahead` months'; returns the months it made (none made twice)."""
    this_month = first_of_month(timezone.now().astimezone(datetime.UTC).date())
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        for month in (first_of_month(this_month, n) for n in range(ahead + 1)):
            cursor.execute("SELECT recovery_program_accesslog_add_month(%s)", [month])
            if cursor.fetchone()[0]:
                made.append(month)
    return made


def claim_default_months(before: datetime.date) -> list[datetime.date]:
    """Gives each month before `before` that has rows in the default partition its own partition (the rows move
    into it), so that archiving can take them: the default partition itself is never archived. Returns those
    months, oldest first."""
    until = datetime.datetime.combine(before, datetime.time(), tzinfo=datetime.UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM {LOG}_default "  # noqa: S608 (our table's name)
            "WHERE at < %s ORDER BY 1",
            [until],
        )
        claimed = [month for (month,) in cursor.fetchall()]
        for month in claimed:
            cursor.execute("SELECT recovery_program_accesslog_add_month(%s)", [month])
    return claimed


def months() -> list[datetime.date]:
    """The months that have a partition now, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass AND c.relname ~ '_[0-9]{4}_[0-9]{2}$' ORDER BY c.relname",
            [LOG],
        )
        names = [name for (name,) in cursor.fetchall()]
    return [datetime.date(int(name[-7:-3]), int(name[-2:]), 1) for name in names]


def archive_month(month: datetime.date, directory: Path) -> AccessLogArchive:
    """Detaches one month, writes it with its seals to `directory`, records it, then drops it: all or nothing.

    The file is gzip: a JSON header line (month, row count, the last seal's sequence and hash), then
    `COPY ... TO STDOUT` of the rows (text format) and of their seals, each after a line naming it.
    """
    name = partition_name(month)
    path = directory / f"access-log-{month:%Y-%m}.jsonl.gz"
    directory.mkdir(parents=True, exist_ok=True)
    table, log, seals = sql.Identifier(name), sql.Identifier(LOG), sql.Identifier(SEAL)
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:  # psycopg's own, for COPY; in the same transaction
            # Foreign keys checked at commit would leave trigger events pending: no table is altered with any.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(log, table))
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
            (rows,) = cursor.fetchone()
            of_rows = sql.SQL("FROM {} s JOIN {} a ON a.id = s.access_log_id").format(seals, table)
            cursor.execute(sql.SQL("SELECT s.sequence, s.hash {} ORDER BY s.sequence DESC LIMIT 1").format(of_rows))
            last = cursor.fetchone()
            last_sequence, last_hash = (last[0], bytes(last[1])) if last else (None, None)
            partial = path.with_suffix(".partial")
            with gzip.open(partial, "wb") as out:
                header = {
                    "month": f"{month:%Y-%m}",
                    "rows": rows,
                    "last_sequence": last_sequence,
                    "last_hash": last_hash.hex() if last_hash else None,
                }
                out.write(json.dumps(header).encode() + b"\n")
                for title, query in (
                    (b"-- rows\n", sql.SQL("COPY (SELECT * FROM {} ORDER BY id) TO STDOUT").format(table)),
                    (b"-- seals\n", sql.SQL("COPY (SELECT s.* {} ORDER BY s.sequence) TO STDOUT").format(of_rows)),
                ):
                    out.write(title)
                    with cursor.copy(query) as copy:
                        for chunk in copy:
                            out.write(chunk)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
            digest = hashlib.file_digest(written, "sha256").hexdigest()
        partial.rename(path)
        archive = AccessLogArchive.objects.create(
            month=month,
            before=first_of_month(month, 1),
            file_name=path.name,
            sha256=digest,
            rows=rows,
            last_sequence=last_sequence,
            last_hash=last_hash,
            archived_at=timezone.now(),
        )
        with connection.connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP TABLE {}").format(table))
    return archive
