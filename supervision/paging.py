"""Paging supervisors about urgent concerns, and who can be reached now.

Who answers, step by step: during office hours the coach's own supervisor, otherwise the primary on call
(step 1); the backup on call (step 2); every supervisor of the program (step 3). Someone who cannot answer
(deactivated, or no longer a supervisor of the program) is left out, and a step left with nobody is passed
at once: nobody waits the escalation minutes for a person who will never answer.

Each page is a row written in the transaction that decides it (the concern, or an escalation), and
delivered by a Celery task enqueued after commit. A sweep every minute delivers any row still
pending (the broker was down at commit, a worker died) and escalates unacknowledged concerns: the
backup after the program's escalation minutes, then every supervisor of the program.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min
from django.urls import reverse
from django.utils import timezone

from coaching.models import Concern, ConcernStatus, Urgency
from recovery_program.messaging import send_email, send_sms
from staff.models import Program, User
from staff.roles import Role, members_with_role
from supervision.models import OnCallShift, Page, PageStep
from supervision.permissions import current_supervisor_of

logger = logging.getLogger("supervision.paging")

# A pending page younger than this is left to the task enqueued at commit.
SWEEP_GRACE = datetime.timedelta(seconds=30)
MESSAGE = "A concern needs you now. Open it and let the coach know you have it: {link}"


def on_call_at(program: Program, moment: datetime.datetime) -> OnCallShift | None:
    return (
        OnCallShift.objects.filter(program=program, starts_at__lte=moment, ends_at__gt=moment)
        .select_related("primary", "backup")
        .first()
    )


def supervisors_of(program: Program):
    """The people who can answer a page: active supervisors of the program."""
    return members_with_role(Role.SUPERVISOR, program_id=program.pk).order_by("pk")


@dataclass(frozen=True)
class Responders:
    """Who answers a coach at one moment. Each person is named only if she can answer (active, and a
    supervisor of the program): a deactivated primary on call is None here, not a name to call."""

    office_hours: bool
    shift: OnCallShift | None
    own_supervisor: User | None  # during office hours only
    primary: User | None
    backup: User | None
    everyone: list[User]

    @property
    def on_call(self) -> User | None:
        """The one to call on the rota: the primary, or the backup when the primary cannot answer."""
        return self.primary or self.backup

    @property
    def nobody_named(self) -> bool:
        """Nobody in particular can answer now: the coach calls any supervisor, and all are paged."""
        return not (self.own_supervisor or self.on_call)

    def at(self, step: PageStep) -> list[User]:
        if step == PageStep.FIRST:
            first = self.own_supervisor or self.primary
            return [first] if first else []
        if step == PageStep.BACKUP:
            return [self.backup] if self.backup else []
        return self.everyone


def responders(program: Program, coach: User, moment: datetime.datetime) -> Responders:
    everyone = list(supervisors_of(program))
    can_answer = {supervisor.pk: supervisor for supervisor in everyone}
    shift = on_call_at(program, moment)
    office_hours = program.is_office_hours(moment)
    own = current_supervisor_of(coach) if office_hours else None
    return Responders(
        office_hours=office_hours,
        shift=shift,
        own_supervisor=can_answer.get(own.pk) if own else None,
        primary=can_answer.get(shift.primary_id) if shift else None,
        backup=can_answer.get(shift.backup_id) if shift else None,
        everyone=everyone,
    )


def reachable_now(coach: User, moment: datetime.datetime | None = None) -> Responders:
    """Who a coach can call now: the supervisor on call, and during office hours her own supervisor."""
    return responders(coach.program, coach, moment or timezone.now())


def _page(concern: Concern, step: PageStep, recipients: list[User]) -> list[Page]:
    """Writes the step's pages (e-mail always, a text when she has a phone); delivery is enqueued after commit."""
    pages = []
    for recipient in recipients:
        channels = [Page.Channel.EMAIL] + ([Page.Channel.SMS] if recipient.phone else [])
        for channel in channels:
            page, created = Page.objects.get_or_create(concern=concern, step=step, recipient=recipient, channel=channel)
            if created:
                pages.append(page)
    for page in pages:
        transaction.on_commit(lambda page_id=page.pk: enqueue_delivery(page_id))
    return pages


def _page_after(concern: Concern, past: int, moment: datetime.datetime) -> list[Page]:
    """Pages the first step after `past` that has someone who can answer."""
    who = responders(concern.program, concern.coach, moment)
    for step in PageStep:
        if step > past and (recipients := who.at(step)):
            return _page(concern, step, recipients)
    if past < PageStep.EVERYONE:
        logger.error("Concern %s: no supervisor of its program can be paged.", concern.pk)
    return []


def concern_raise_pages(concern: Concern) -> list[Page]:
    """Called in the transaction that shares an urgent concern."""
    if concern.urgency != Urgency.URGENT_NOW:
        return []
    return _page_after(concern, 0, timezone.now())


def _escalate(concern_id: int, *, past: int, now: datetime.datetime) -> list[Page]:
    """Pages the step after `past`, unless the concern was acknowledged or closed, or a later step was paged
    already. Call it inside a transaction: the concern's row is locked so that two escalations page once."""
    concern = Concern.objects.select_for_update(of=("self",)).select_related("program", "coach").get(pk=concern_id)
    if concern.acknowledged_at is not None or concern.status == ConcernStatus.CLOSED:
        return []
    if concern.pages.filter(step__gt=past).exists():
        return []
    return _page_after(concern, past, now)


def first_paged_at(concern: Concern) -> datetime.datetime | None:
    """When a supervisor was first paged about this concern: the coach is told, so she knows help is coming."""
    return concern.pages.aggregate(first=Min("created_at"))["first"]


def enqueue_delivery(page_id: int) -> None:
    from supervision.tasks import deliver_page

    try:
        deliver_page.delay(page_id)
    except Exception:  # the broker is down: the row stays pending and the sweep delivers it
        logger.warning("Could not enqueue page %s now; the sweep will deliver it.", page_id, exc_info=True)


def deliver(page_id: int) -> bool:
    """Sends one page unless it was sent already. True if this call sent it.

    The row is locked while sending, and the send and the mark commit together where the backend
    writes to the database (the outbox); a provider gets the page id as its idempotency key.
    """
    try:
        with transaction.atomic():
            page = (
                Page.objects.select_for_update()
                .select_related("recipient")
                .filter(pk=page_id, sent_at__isnull=True)
                .first()
            )
            if page is None:
                return False
            link = settings.SITE_URL.rstrip("/") + reverse("supervision:page", args=[page.pk])
            body = MESSAGE.format(link=link)
            key = f"page-{page.pk}"
            if page.channel == Page.Channel.SMS:
                send_sms(to=page.recipient.phone, body=body, key=key)
            else:
                send_email(to=page.recipient.email, subject="A concern needs you now", body=body, key=key)
            page.sent_at = timezone.now()
            page.attempts += 1
            page.save(update_fields=["sent_at", "attempts"])
            return True
    except Exception as error:
        Page.objects.filter(pk=page_id).update(attempts=F("attempts") + 1, last_error=str(error)[:300])
        raise


def escalate_due(now: datetime.datetime) -> list[Page]:
    """Pages the next step for each urgent concern nobody acknowledged within the program's minutes."""
    new_pages = []
    waiting = (
        Concern.objects.filter(urgency=Urgency.URGENT_NOW, acknowledged_at__isnull=True)
        .exclude(status=ConcernStatus.CLOSED)
        .annotate(last_step=Max("pages__step"), last_paged_at=Max("pages__created_at"))
        .filter(last_step__isnull=False, last_step__lt=PageStep.EVERYONE)
        .select_related("program")
    )
    for concern in waiting:
        if now - concern.last_paged_at < datetime.timedelta(minutes=concern.program.escalation_minutes):
            continue
        with transaction.atomic():
            new_pages += _escalate(concern.pk, past=concern.last_step, now=now)
    return new_pages


def sweep(now: datetime.datetime | None = None) -> dict:
    """Every minute: deliver what is still pending, and escalate what waited too long."""
    now = now or timezone.now()
    pending = list(
        Page.objects.filter(sent_at__isnull=True, created_at__lte=now - SWEEP_GRACE).values_list("pk", flat=True)
    )
    for page_id in pending:
        enqueue_delivery(page_id)
    escalated = escalate_due(now)
    return {"redelivered": len(pending), "escalated": len(escalated)}
