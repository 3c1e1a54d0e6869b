"""Periodic work that reaches across apps."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from staff import services as staff_services
from staff.models import Program
from workspace import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_training_reminders() -> int:
    """Daily: plans the reminders due today (each program's today, in its time zone) and sends each unsent one.
    Running it twice sends nothing more."""
    sent = 0
    for program in Program.objects.all():
        with timezone.override(program.zone):
            for reminder_id in staff_services.training_reminder_ids_due(program=program, today=timezone.localdate()):
                sent += services.training_reminder_send(reminder_id)
    return sent
