"""Handing a task to the workers after a commit, without ever failing the request that committed."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> None:
    """Sends the task to a worker. With the broker out of reach (publishing gives up within seconds, see
    CELERY_BROKER_TRANSPORT_OPTIONS), runs it in this process instead: what was saved stays saved, and a
    message that must go out (a password link) still goes out. Call it from `transaction.on_commit`; tasks take
    ids, so the log names only the task."""
    try:
        task.delay(*args, **kwargs)
    except (OperationalError, OSError):
        logger.warning("Could not hand %s to a worker; running it here.", task.name, exc_info=True)
        try:
            task.apply(args=args, kwargs=kwargs, throw=True)
        except Exception:
            logger.exception("%s failed here too.", task.name)
