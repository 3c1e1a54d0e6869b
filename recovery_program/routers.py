"""Long reads on a read replica: the supervisors' reports, the admins' program figures and the downloads.

With `REPLICA_DATABASE_URL` set, `DATABASES["replica"]` is a streaming replica of the primary. Nothing reads it
unless a view asks, through `from_replica()` (a context manager) or `@replica_reads` (a view decorator): no model
is routed by its name, so no page reads the replica by accident, and a coach always sees the encounter she has
just logged. Writes always go to the primary (a report's access-log row, an export's record), and only the
primary is migrated. A replica more than REPLICA_MAX_LAG_SECONDS behind is passed over: those reads go to the
primary. Without a replica everything reads the primary, as before (docs/scaling.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag_seconds() -> float:
    """How far the replica is behind the primary: 0 when it has replayed all it received (or is a primary)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
            " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
        )
        (lag,) = cursor.fetchone()
    return float(lag)


@contextmanager
def from_replica() -> Iterator[str]:
    """Reads inside go to the replica when there is one and it is not too far behind; yields the alias read."""
    use = False
    if has_replica():
        try:
            use = replica_lag_seconds() <= settings.REPLICA_MAX_LAG_SECONDS
        except DatabaseError:  # out of reach: the primary answers
            use = False
    token = _reading.set(use)
    try:
        yield REPLICA if use else "default"
    finally:
        _reading.reset(token)


def replica_reads(view: Callable) -> Callable:
    """A view whose reads go to the replica (its writes, the access-log row included, to the primary)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with from_replica():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        return REPLICA if _reading.get() else None

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the primary's rows: a row read there may be named in a write here

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == "default"
