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
