"""The access log's hash chain: sealing rows after they commit, and walking the chain to check it.

Requests only INSERT access-log rows. The sealer (`seal`, a beat task every minute) then gives each committed
row an `AccessLogSeal`, in id order: its hash is sha256 of the previous seal's hash and the row's canonical
form. One sealer works at a time, under an advisory lock nothing else takes, tried without waiting, so it
never waits on or blocks a request. `verify` walks the seals in order and names the first row changed or
removed, or seal changed or removed.

Rows commit out of id order: a request that took id 100 may commit after 101 was sealed. The sealer looks
only above a watermark (`AccessLogSealer.sealed_through`) for rows without a seal, and moves the watermark
only up to ids whose transactions have all ended (`settle`), so such a row is sealed on a later run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from recovery_program.models import AccessLog, AccessLogArchive, AccessLogSeal, AccessLogSealer

VERSION = 2  # what new seals are; seals of version 1, made before `patient_ids`, still verify
VERSIONS = (1, 2)
GENESIS = bytes(32)  # the "previous hash" of the first seal

# Every column of an access-log row, read as text by the database, in the order version 1 hashes them.
# A new column on AccessLog needs a new version here (tests/recovery_program/test_access_log_chain.py says so).
COLUMNS_V1 = ("id", "at", "user_id", "action", "patient_id", "record_type", "record_id", "ip_address")
# Version 2 adds the women a list showed, as a JSON array of ids (null on a row about one woman or none).
COLUMNS_V2 = (*COLUMNS_V1, "patient_ids")
AT_TEXT = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
ROW_V1 = f"""a.id, {AT_TEXT.format("a.at")}, a.user_id, a.action, a.patient_id, a.record_type, a.record_id,
    host(a.ip_address)"""
ROW_V2 = f"{ROW_V1}, a.patient_ids"

# An advisory lock key taken only by the sealer (pg_try_advisory_xact_lock: never waited for).
SEALER_LOCK = 0x5EA1_AC10

# Between taking an id for a row and writing it (getting a transaction id) a request spends microseconds;
# a checkpoint waits this long before its fence is taken (see `settle`).
FENCE_AFTER = datetime.timedelta(minutes=1)

LOG = AccessLog._meta.db_table
SEAL = AccessLogSeal._meta.db_table
SEALER = AccessLogSealer._meta.db_table

# The statements, built once from the tables' names (no input reaches them but bound parameters).
UNSEALED = f"NOT EXISTS (SELECT 1 FROM {SEAL} s WHERE s.access_log_id = a.id)"
OLDEST_RUNNING_AND_NEWEST = f"SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, (SELECT max(id) FROM {LOG})"
SEALER_ROW = f"INSERT INTO {SEALER} (id, sealed_through, settled_through) VALUES (1, 0, 0) ON CONFLICT DO NOTHING"
SEALER_PENDING = f"SELECT pending_through, pending_at, pending_fence FROM {SEALER} WHERE id = 1"
CHECKPOINT = f"UPDATE {SEALER} SET pending_through = %s, pending_at = %s, pending_fence = NULL WHERE id = 1"
FENCE = f"UPDATE {SEALER} SET pending_fence = pg_current_xact_id()::text::bigint WHERE id = 1"
SETTLED = (
    f"UPDATE {SEALER} SET settled_through = GREATEST(settled_through, pending_through), "
    "pending_through = %s, pending_at = %s, pending_fence = NULL WHERE id = 1"
)
SEALER_MARKS = f"SELECT sealed_through, settled_through FROM {SEALER} WHERE id = 1"
# The bound is said twice so the anti-join starts both indexes there, not the seals' at their beginning.
ROWS_TO_SEAL = (
    f"SELECT {ROW_V2} FROM {LOG} a WHERE a.id > %(above)s "
    f"AND NOT EXISTS (SELECT 1 FROM {SEAL} s WHERE s.access_log_id = a.id AND s.access_log_id > %(above)s) "
    "ORDER BY a.id LIMIT %(size)s"
)
LAST_SEAL = f"SELECT sequence, hash FROM {SEAL} ORDER BY sequence DESC LIMIT 1"
# The hashes go as one bytea, 32 bytes each, in the order of the ids: one parameter each, cheap to send.
ADD_SEALS = (
    f"INSERT INTO {SEAL} (sequence, access_log_id, version, logged_at, logged_by, hash) "
    f"SELECT %s + v.n - 1, a.id, %s, a.at, a.user_id, substring(%s::bytea FROM (v.n::int - 1) * 32 + 1 FOR 32) "
    f"FROM unnest(%s::bigint[]) WITH ORDINALITY AS v(id, n) JOIN {LOG} a ON a.id = v.id"
)
SEALED_THROUGH = f"UPDATE {SEALER} SET sealed_through = %s WHERE id = 1"
SEALS_WITH_ROWS = (
    f"SELECT s.sequence, s.access_log_id, s.version, {AT_TEXT.format('s.logged_at')}, s.logged_by, s.hash, {ROW_V2} "
    f"FROM {SEAL} s LEFT JOIN {LOG} a ON a.id = s.access_log_id WHERE s.sequence > %s ORDER BY s.sequence LIMIT %s"
)
OLD_UNSEALED = f"SELECT count(*), min(a.id) FROM {LOG} a WHERE a.at < %s AND {UNSEALED}"


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once: json.dumps makes one each call


def canonical(sequence: int, row: Sequence, version: int = VERSION) -> bytes:
    """The bytes a seal of `version` hashes for a row (as selected by ROW_V2) sealed at `sequence`.

    Version 1 knew no `patient_ids`: it hashes the row without it, and only a row whose `patient_ids` is
    still null can match (`link` makes a version-1 row that gained ids fail), so none can be added unseen.
    """
    if version == 1:
        return _JSON.encode([1, sequence, *row[: len(COLUMNS_V1)]]).encode()
    return _JSON.encode([version, sequence, *row]).encode()


def link(previous: bytes, sequence: int, row: Sequence, version: int = VERSION) -> bytes:
    if version == 1 and len(row) > len(COLUMNS_V1) and row[len(COLUMNS_V1)] is not None:
        # Ids added to a row sealed before the column existed: a hash nothing can match.
        return hashlib.sha256(previous + b"version 1 rows name no list").digest()
    return hashlib.sha256(previous + canonical(sequence, row, version)).digest()


def seal(*, batch_size: int = 5000, max_seconds: float = 30.0) -> int:
    """Seals committed access-log rows that have no seal yet, lowest id first; returns how many it sealed.

    Each batch is its own transaction, so a run cut short keeps what it sealed. Safe to run twice or at the
    same time: a run that finds the sealer's lock taken leaves the work to the one holding it.
    """
    settle()
    sealed, after, started = 0, 0, time.monotonic()
    while True:
        batch = _seal_batch(after=after, size=batch_size)
        if batch is None:
            break
        count, after = batch
        sealed += count
        if count < batch_size or time.monotonic() - started > max_seconds:
            break
    return sealed


def _locked(cursor) -> bool:
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEALER_LOCK])
    return cursor.fetchone()[0]


def settle() -> None:
    """Moves `settled_through` up to an id below which no transaction is still open; one step per run.

    A checkpoint notes the highest id committed now (`pending_through`). At least FENCE_AFTER later, the
    sealer takes a transaction id of its own (the fence): every transaction that took an id up to the
    checkpoint had its transaction id by then, so it is older than the fence. Once the oldest transaction
    still running is younger than the fence, all of them have ended: the checkpoint is settled, and the
    next one begins. (Ids are handed out in order: the sequence has no per-session cache.)
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if not _locked(cursor):
            return
        # Read before this transaction writes anything, so that it has no transaction id of its own yet.
        oldest_running, newest = _oldest_running_and_newest(cursor)
        cursor.execute(SEALER_ROW)
        cursor.execute(SEALER_PENDING)
        pending_through, pending_at, pending_fence = cursor.fetchone()
        now = timezone.now()
        if pending_through is None:
            cursor.execute(CHECKPOINT, [newest or 0, now])
        elif pending_fence is None:
            if now >= pending_at + FENCE_AFTER:
                cursor.execute(FENCE)
        elif oldest_running > pending_fence:
            cursor.execute(SETTLED, [newest or 0, now])


def _oldest_running_and_newest(cursor) -> tuple[int, int | None]:
    """The oldest transaction id still running, in any database of the server, and the highest id logged."""
    cursor.execute(OLDEST_RUNNING_AND_NEWEST)
    return cursor.fetchone()


def _seal_batch(*, after: int, size: int) -> tuple[int, int] | None:
    """Seals the first `size` unsealed rows above the watermark and `after`; None if another sealer is at work.

    Returns how many it sealed and the last id. At most six queries, whatever the size.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if not _locked(cursor):
            return None
        cursor.execute(SEALER_MARKS)
        sealed_through, settled_through = cursor.fetchone() or (0, 0)
        # Only the rows above the watermark are looked at: a few minutes' worth, through the primary key.
        cursor.execute(ROWS_TO_SEAL, {"above": max(sealed_through, after), "size": size})
        rows = cursor.fetchall()
        if rows:
            cursor.execute(LAST_SEAL)
            sequence, previous = cursor.fetchone() or (0, GENESIS)
            previous = bytes(previous)
            first, hashes = sequence + 1, []
            for row in rows:
                sequence += 1
                previous = link(previous, sequence, row)
                hashes.append(previous)
            cursor.execute(ADD_SEALS, [first, VERSION, b"".join(hashes), [row[0] for row in rows]])
        # Every row up to the last one sealed that will ever commit is sealed; past the settled id a row
        # may still commit, so the watermark stops there. A short batch means nothing above is unsealed.
        last = rows[-1][0] if rows else after
        through = settled_through if len(rows) < size else min(last, settled_through)
        if through > sealed_through:
            cursor.execute(SEALED_THROUGH, [through])
        return len(rows), last


@dataclass
class Verdict:
    """What `verify` found: the problems in chain order, and the head of the chain it walked."""

    problems: list[str] = field(default_factory=list)
    checked: int = 0
    head_sequence: int = 0
    head_hash: bytes = GENESIS
    unsealed: int = 0
    archived: int = 0


def verify(
    *, unsealed_before: datetime.datetime, head: tuple[int, bytes] | None = None, batch_size: int = 10_000
) -> Verdict:
    """Walks every seal in order, recomputing each hash from the previous seal's and the row as it is now.

    A seal whose hash does not follow is a changed row, unless the next seal follows from the hash this one
    should have had: then the seal itself was altered. A seal whose row is gone is a removed row; a gap in
    the sequence, removed seals. `head`, a (sequence, hash) recorded earlier outside the database, must
    still be in the chain: otherwise the chain was rewritten from there on. Rows older than
    `unsealed_before` with no seal are counted (the sealer stopped, or a seal was removed). A seal whose row was
    logged before the last month archived (`AccessLogArchive`) names a row in an archive file, not a removed one:
    its stored hash carries the chain on, as the archive recorded it.
    """
    verdict = Verdict()
    archived_before = _archived_before()
    expected = 0
    previous = GENESIS  # the stored hash of the previous seal
    suspect = None  # a seal whose hash did not follow: (message if the row changed, hash it should have had)
    head_seen = head is None
    for sequence, log_id, version, logged_at, logged_by, stored, row in _seals(batch_size):
        stored = bytes(stored)
        verdict.checked += 1
        named = (log_id, logged_by, logged_at, sequence)
        if suspect is not None:
            message, should_have_been = suspect
            if row is not None and version in VERSIONS and link(should_have_been, sequence, row, version) == stored:
                message = f"Seal {sequence - 1} was altered: its hash is not the one sealed."
                previous = should_have_been
            verdict.problems.append(message)
            suspect = None
        if sequence != expected + 1:
            removed = (
                f"Seals {expected + 1} to {sequence - 1} were"
                if sequence > expected + 2
                else f"Seal {expected + 1} was"
            )
            verdict.problems.append(f"{removed} removed (just before the access-log {_row(*named)}).")
        elif version not in VERSIONS:
            verdict.problems.append(f"Seal {sequence} has version {version}, which this code cannot check.")
        elif row is None and archived_before is not None and logged_at < archived_before:
            verdict.archived += 1
        elif row is None:
            verdict.problems.append(f"The access-log {_row(*named)} was removed.")
        else:
            should_be = link(previous, sequence, row, version)
            if should_be != stored:
                suspect = (f"The access-log {_row(*named)} was changed after it was sealed.", should_be)
            elif row[2] != logged_by or row[1] != logged_at:
                verdict.problems.append(f"Seal {sequence} was altered: its user or time is not its row's.")
        if head is not None and sequence == head[0]:
            head_seen = True
            if stored != head[1]:
                verdict.problems.append(
                    f"Seal {sequence} is not the head recorded earlier: the chain was rewritten from there on."
                )
        expected, previous = sequence, stored
    if suspect is not None:
        verdict.problems.append(suspect[0].replace("was changed", "or its seal was changed"))
    if not head_seen:
        verdict.problems.append(f"The head recorded earlier, seal {head[0]}, is gone: the chain was cut back.")
    verdict.head_sequence, verdict.head_hash = expected, previous
    verdict.unsealed, first = _unsealed(unsealed_before)
    if verdict.unsealed:
        verdict.problems.append(
            f"{verdict.unsealed} access-log rows older than {unsealed_before:%Y-%m-%d %H:%M %Z} have no seal "
            f"(the first: row {first}): is the sealer running (beat task seal_access_log)?"
        )
    return verdict


def _archived_before() -> str | None:
    """The end of the last month archived, as the seals' `logged_at` is read (AT_TEXT); None if none was."""
    last = AccessLogArchive.objects.order_by("-before").values_list("before", flat=True).first()
    return f"{last:%Y-%m-%d}T00:00:00.000000Z" if last else None


def _row(log_id: int, logged_by: int, logged_at: str, sequence: int) -> str:
    return f"row {log_id} (logged by user {logged_by} at {logged_at}, seal {sequence})"


def _seals(batch_size: int) -> Iterator[tuple]:
    """Every seal in order, with its row as ROW_V2 reads it (None if the row is gone): one query per batch."""
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(SEALS_WITH_ROWS, [after, batch_size])
            batch = cursor.fetchall()
        for record in batch:
            yield (*record[:6], record[6:] if record[6] is not None else None)
        if len(batch) < batch_size:
            return
        after = batch[-1][0]


def _unsealed(before: datetime.datetime) -> tuple[int, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(OLD_UNSEALED, [before])
        return cursor.fetchone()
