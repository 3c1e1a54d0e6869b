from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from staff.models import Program
from staff.sessions import StaffSession


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> int:
    """Removes sessions past their expiry, so a lost phone's session is gone from the database too.

    Safe to run twice: a second run finds nothing more to remove.
    """
    deleted, _ = StaffSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_password_link(user_id: int, *, welcome: bool = False) -> None:
    """E-mails her a one-time link to set her password."""
    from staff.services import password_link_send

    password_link_send(user_id, welcome=welcome)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_training_reminders() -> int:
    """Daily: plans the reminders due today (each program's today, in its time zone) and sends each unsent one.
    Running it twice sends nothing more."""
    from staff import services

    sent = 0
    for program in Program.objects.all():
        with timezone.override(program.zone):
            for reminder_id in services.training_reminder_ids_due(program=program, today=timezone.localdate()):
                sent += services.training_reminder_send(reminder_id)
    return sent
