"""The Celery app. Tasks live in each app's tasks.py; periodic schedules are declared here, in one place."""

from __future__ import annotations

import logging
import logging.config
import os
import time

from celery import Celery
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_program.settings")

app = Celery("recovery_program")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_as_the_app_does(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING, whose filter keeps patient data out (recovery_program/logs.py),
    instead of handlers of Celery's own; LOG_LEVEL sets the level, not `--loglevel`."""
    logging.config.dictConfig(settings.LOGGING)


app.conf.beat_schedule = {
    **{
        f"heartbeat-{kind}": {
            "task": "recovery_program.tasks.heartbeat",
            "schedule": 60.0,
            "args": (name,),
            # With no worker to take them, a pile of heartbeats would only be run late and say nothing.
            "options": {"expires": 50, "queue": settings.TASK_QUEUES_BY_KIND[kind]},
        }
        # One per queue, taken by that queue's workers (settings.WORKER_HEARTBEATS).
        for kind, name in settings.WORKER_HEARTBEATS.items()
    },
    "clear-expired-sessions": {
        "task": "staff.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17),
    },
    "forget-old-form-keys": {
        "task": "recovery_program.tasks.forget_old_submissions",
        "schedule": crontab(hour=3, minute=41),
    },
    "sweep-pages": {
        "task": "supervision.tasks.sweep_pages",
        "schedule": 60.0,
    },
    "sweep-messages": {
        "task": "recovery_program.tasks.sweep_messages",
        "schedule": 60.0,
    },
    "seal-access-log": {
        "task": "recovery_program.tasks.seal_access_log",
        "schedule": 60.0,
    },
    "add-access-log-partitions": {
        "task": "recovery_program.tasks.add_access_log_partitions",
        "schedule": crontab(hour=3, minute=17),
    },
    "missed-supervision": {
        "task": "supervision.tasks.notify_missed_sessions",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "training-reminders": {
        "task": "workspace.tasks.send_training_reminders",
        "schedule": crontab(hour=7, minute=5),
    },
}


logger = logging.getLogger(__name__)


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, writing the `scheduler` heartbeat (recovery_program.health) as it ticks.

    At most every HEARTBEAT_SECONDS, and it wakes at least that often; a database it cannot reach is logged and
    never stops the scheduling itself.
    """

    HEARTBEAT_SECONDS = 30.0
    _last_heartbeat = float("-inf")

    def tick(self, *args, **kwargs):
        next_in = super().tick(*args, **kwargs)
        if time.monotonic() - self._last_heartbeat >= self.HEARTBEAT_SECONDS:
            self._heartbeat()
        return min(next_in, self.HEARTBEAT_SECONDS)

    def _heartbeat(self) -> None:
        import django
        from django.db import DatabaseError, close_old_connections, connection

        django.setup()
        from recovery_program.health import heartbeat_record

        if not connection.in_atomic_block:  # beat runs for weeks: a connection the database dropped is replaced
            close_old_connections()
        try:
            heartbeat_record("scheduler")
        except DatabaseError:
            logger.exception("The scheduler could not write its heartbeat")
        else:
            self._last_heartbeat = time.monotonic()
