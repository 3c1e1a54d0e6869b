from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from staff.sessions import StaffSession


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> int:
    """Removes sessions past their expiry, so a lost phone's session is gone from the database too.

    Safe to run twice: a second run finds nothing more to remove.
    """
    deleted, _ = StaffSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_password_link(user_id: int, *, welcome: bool = False, asked: bool = False) -> None:
    """E-mails her a one-time link to set her password (`asked`: she asked for it on the login page)."""
    from staff.services import password_link_send

    password_link_send(user_id, welcome=welcome, asked=asked)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_email_changed_notice(user_id: int, old_email: str, changed_by_id: int) -> None:
    """Tells her, at the address she had, that her e-mail address was changed."""
    from staff.services import email_changed_notice_send

    email_changed_notice_send(user_id, old_email, changed_by_id)
