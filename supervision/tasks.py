from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from staff.models import Program


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=120, retry_jitter=True, max_retries=12
)
def deliver_page(self, page_id: int) -> bool:
    """Delivers one page. Safe to run twice: a page already sent, or being sent, is not sent again. A send
    that failed is tried again when the page is due (the sweep does it too, should this retry be lost)."""
    from supervision.paging import PageNotSent, deliver

    try:
        return deliver(page_id)
    except PageNotSent as not_sent:
        raise self.retry(eta=not_sent.retry_at, exc=not_sent) from not_sent


@shared_task
def sweep_pages() -> dict:
    """Every minute: deliver pages still pending, page "within 24 hours" concerns nobody had in a day, and escalate
    paged concerns nobody acknowledged."""
    from supervision.paging import sweep

    return sweep(timezone.now())


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_missed_sessions() -> int:
    """Monday morning: tells each supervisor whose weekly session last week did not happen. Once per coach and week.

    "Last week" is each program's own, in its time zone."""
    from supervision.services import missed_session_notices_send

    sent = 0
    for program in Program.objects.all():
        with timezone.override(program.zone):
            sent += missed_session_notices_send(program=program, today=timezone.localdate())
    return sent


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_break_glass(grant_id: int) -> int:
    """Tells the program's supervisors that a record was opened in an emergency. Safe to run twice: once only."""
    from supervision.services import break_glass_notify

    return break_glass_notify(grant_id)
