"""A lock held by one sender of a message while it claims, sends and marks it: a PostgreSQL session advisory lock,
taken without waiting, held with no transaction open, and gone with the connection if the sender dies (so that a
row still "sending" with its lock free is known to be left by a dead sender)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


@contextmanager
def sender_lock(namespace: str, row_id: int) -> Iterator[bool]:
    """Yields True if this connection holds the lock of (`namespace`, `row_id`), False if another sender has it.
    (Session locks need a database connection of one's own: no pooler in transaction mode in front of it.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s::int)", [namespace, row_id])
        alone = cursor.fetchone()[0]
    try:
        yield alone
    finally:
        if alone:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s::int)", [namespace, row_id])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("Could not release the sending lock of %s %s.", namespace, row_id, exc_info=True)
