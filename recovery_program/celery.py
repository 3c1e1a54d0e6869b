"""The Celery app. Tasks live in each app's tasks.py; periodic schedules are declared here, in one place."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_program.settings")

app = Celery("recovery_program")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "staff.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17),
    },
    "sweep-pages": {
        "task": "supervision.tasks.sweep_pages",
        "schedule": 60.0,
    },
    "seal-access-log": {
        "task": "recovery_program.tasks.seal_access_log",
        "schedule": 60.0,
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
